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

// maxDepth bounds the nesting of a document. The parser's cost grows with
// the square of the depth, and no monitor needs more than a few levels.
const maxDepth = 64

// tooDeep finds the first bracket that opens more than maxDepth flow
// collections. It counts every bracket, even inside quotes: a real monitor
// is far from the limit either way.
func tooDeep(text []byte) (position, bool) {
	depth, line, col := 0, 1, 0
	for _, b := range text {
		col++
		switch b {
		case '\n':
			line, col = line+1, 0
		case '[', '{':
			depth++
			if depth > maxDepth {
				return position{line, col}, true
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return position{}, false
}
