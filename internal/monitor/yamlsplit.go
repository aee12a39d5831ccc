package monitor

import "bytes"

// chunk is a piece of a file holding one or more YAML documents.
type chunk struct {
	text      []byte
	firstLine int // 1-based line of text[0] in the file
}

// splitDocuments cuts a file at its "---" document markers, so that a syntax
// error in one document does not hide the others. YAML forbids "---" at the
// start of a line inside any scalar, so such a line always starts a document.
// Directive lines ("%YAML ...") stay with the document they precede.
func splitDocuments(data []byte) []chunk {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var chunks []chunk
	start := 0
	for i, line := range lines {
		if i == 0 || !isDocumentStart(line) {
			continue
		}
		cut := i
		for cut > start && bytes.HasPrefix(lines[cut-1], []byte("%")) {
			cut--
		}
		if cut > start {
			chunks = append(chunks, chunk{text: bytes.Join(lines[start:cut], nil), firstLine: start + 1})
			start = cut
		}
	}
	return append(chunks, chunk{text: bytes.Join(lines[start:], nil), firstLine: start + 1})
}

func isDocumentStart(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}
