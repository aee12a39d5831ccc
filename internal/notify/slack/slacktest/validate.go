package slacktest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Limits Slack enforces on messages and Block Kit
// (https://docs.slack.dev/reference/block-kit/blocks).
const (
	MaxBlocks         = 50
	MaxHeaderText     = 150
	MaxSectionText    = 3000
	MaxSectionFields  = 10
	MaxFieldText      = 2000
	MaxContextElems   = 10
	MaxActionElems    = 25
	MaxButtonText     = 75
	MaxButtonURL      = 3000
	MaxButtonValue    = 2000
	MaxActionID       = 255
	MaxBlockID        = 255
	MaxImageURL       = 3000
	MaxAltText        = 2000
	MaxMessageText    = 40000
	maxTextObjectText = 3000
)

// blockError is an invalid_blocks reason in Slack's own format:
// "[ERROR] <what> [json-pointer:/blocks/0/text/text]".
type blockError struct {
	pointer string
	msg     string
}

func (e *blockError) Error() string {
	return fmt.Sprintf("[ERROR] %s [json-pointer:%s]", e.msg, e.pointer)
}

func errAt(ptr, format string, args ...any) error {
	return &blockError{pointer: ptr, msg: fmt.Sprintf(format, args...)}
}

type object = map[string]json.RawMessage

// validateBlocks checks raw (a JSON array of blocks) the way Slack does for
// the block types vigil may send. Unknown block or element types are
// rejected: a fake that accepts what it does not understand hides bugs.
func validateBlocks(raw json.RawMessage) error {
	var blocks []json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return errAt("/blocks", "must be an array of block objects")
	}
	if len(blocks) > MaxBlocks {
		return errAt("/blocks", "must provide at most %d items (got %d)", MaxBlocks, len(blocks))
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		ptr := fmt.Sprintf("/blocks/%d", i)
		var o object
		if err := json.Unmarshal(b, &o); err != nil || o == nil {
			return errAt(ptr, "must be an object")
		}
		typ, err := str(o, "type", ptr)
		if err != nil {
			return err
		}
		if id, ok, err := optStr(o, "block_id", ptr); err != nil {
			return err
		} else if ok {
			if n := utf8.RuneCountInString(id); n == 0 || n > MaxBlockID {
				return errAt(ptr+"/block_id", "must be 1 to %d characters (got %d)", MaxBlockID, n)
			}
			if ids[id] {
				return errAt(ptr+"/block_id", "duplicate block_id %q", id)
			}
			ids[id] = true
		}
		if err := validateBlock(typ, o, ptr); err != nil {
			return err
		}
	}
	return nil
}

func validateBlock(typ string, o object, ptr string) error {
	switch typ {
	case "header":
		t, err := textObject(o, "text", ptr, MaxHeaderText, true)
		if err != nil {
			return err
		}
		if t == nil {
			return errAt(ptr+"/text", "missing required field: text")
		}
		if t.Type != "plain_text" {
			return errAt(ptr+"/text/type", "must be plain_text")
		}
	case "section":
		t, err := textObject(o, "text", ptr, MaxSectionText, false)
		if err != nil {
			return err
		}
		fields, ok := o["fields"]
		if t == nil && !ok {
			return errAt(ptr, "must provide text or fields")
		}
		if ok {
			var fs []json.RawMessage
			if err := json.Unmarshal(fields, &fs); err != nil || len(fs) == 0 {
				return errAt(ptr+"/fields", "must be a non-empty array")
			}
			if len(fs) > MaxSectionFields {
				return errAt(ptr+"/fields", "must provide at most %d items (got %d)", MaxSectionFields, len(fs))
			}
			for j, f := range fs {
				if _, err := parseText(f, fmt.Sprintf("%s/fields/%d", ptr, j), MaxFieldText); err != nil {
					return err
				}
			}
		}
		if acc, ok := o["accessory"]; ok {
			if err := validateElement(acc, ptr+"/accessory", map[string]bool{}); err != nil {
				return err
			}
		}
	case "divider":
	case "context":
		elems, err := array(o, "elements", ptr, MaxContextElems)
		if err != nil {
			return err
		}
		for j, e := range elems {
			ep := fmt.Sprintf("%s/elements/%d", ptr, j)
			var eo object
			if err := json.Unmarshal(e, &eo); err != nil {
				return errAt(ep, "must be an object")
			}
			et, err := str(eo, "type", ep)
			if err != nil {
				return err
			}
			switch et {
			case "plain_text", "mrkdwn":
				if _, err := parseText(e, ep, maxTextObjectText); err != nil {
					return err
				}
			case "image":
				if err := validateImage(eo, ep); err != nil {
					return err
				}
			default:
				return errAt(ep+"/type", "context element type %q is not supported", et)
			}
		}
	case "actions":
		elems, err := array(o, "elements", ptr, MaxActionElems)
		if err != nil {
			return err
		}
		actionIDs := map[string]bool{}
		for j, e := range elems {
			if err := validateElement(e, fmt.Sprintf("%s/elements/%d", ptr, j), actionIDs); err != nil {
				return err
			}
		}
	case "image":
		if err := validateImage(o, ptr); err != nil {
			return err
		}
	case "rich_text":
		if _, err := array(o, "elements", ptr, 0); err != nil {
			return err
		}
	default:
		return errAt(ptr+"/type", "unsupported block type %q", typ)
	}
	return nil
}

func validateElement(raw json.RawMessage, ptr string, actionIDs map[string]bool) error {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return errAt(ptr, "must be an object")
	}
	typ, err := str(o, "type", ptr)
	if err != nil {
		return err
	}
	switch typ {
	case "button":
		t, err := textObject(o, "text", ptr, MaxButtonText, true)
		if err != nil {
			return err
		}
		if t == nil {
			return errAt(ptr+"/text", "missing required field: text")
		}
		if t.Type != "plain_text" {
			return errAt(ptr+"/text/type", "must be plain_text")
		}
		if u, ok, err := optStr(o, "url", ptr); err != nil {
			return err
		} else if ok && (u == "" || utf8.RuneCountInString(u) > MaxButtonURL) {
			return errAt(ptr+"/url", "must be 1 to %d characters", MaxButtonURL)
		}
		if v, ok, err := optStr(o, "value", ptr); err != nil {
			return err
		} else if ok && utf8.RuneCountInString(v) > MaxButtonValue {
			return errAt(ptr+"/value", "must be at most %d characters", MaxButtonValue)
		}
		if s, ok, err := optStr(o, "style", ptr); err != nil {
			return err
		} else if ok && s != "primary" && s != "danger" {
			return errAt(ptr+"/style", "must be one of primary, danger")
		}
	case "image":
		return validateImage(o, ptr)
	default:
		return errAt(ptr+"/type", "element type %q is not supported by this fake", typ)
	}
	if id, ok, err := optStr(o, "action_id", ptr); err != nil {
		return err
	} else if ok {
		if n := utf8.RuneCountInString(id); n == 0 || n > MaxActionID {
			return errAt(ptr+"/action_id", "must be 1 to %d characters", MaxActionID)
		}
		if actionIDs[id] {
			return errAt(ptr+"/action_id", "duplicate action_id %q", id)
		}
		actionIDs[id] = true
	}
	return nil
}

func validateImage(o object, ptr string) error {
	u, err := str(o, "image_url", ptr)
	if err != nil {
		return err
	}
	if u == "" || utf8.RuneCountInString(u) > MaxImageURL {
		return errAt(ptr+"/image_url", "must be 1 to %d characters", MaxImageURL)
	}
	alt, err := str(o, "alt_text", ptr)
	if err != nil {
		return err
	}
	if alt == "" || utf8.RuneCountInString(alt) > MaxAltText {
		return errAt(ptr+"/alt_text", "must be 1 to %d characters", MaxAltText)
	}
	return nil
}

type textObj struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Emoji    *bool  `json:"emoji"`
	Verbatim *bool  `json:"verbatim"`
}

// textObject parses the optional text object o[key].
func textObject(o object, key, ptr string, limit int, required bool) (*textObj, error) {
	raw, ok := o[key]
	if !ok {
		if required {
			return nil, errAt(ptr+"/"+key, "missing required field: %s", key)
		}
		return nil, nil
	}
	return parseText(raw, ptr+"/"+key, limit)
}

func parseText(raw json.RawMessage, ptr string, limit int) (*textObj, error) {
	var t textObj
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, errAt(ptr, "must be a text object")
	}
	switch t.Type {
	case "plain_text":
		if t.Verbatim != nil {
			return nil, errAt(ptr+"/verbatim", "verbatim is only allowed on mrkdwn")
		}
	case "mrkdwn":
		if t.Emoji != nil {
			return nil, errAt(ptr+"/emoji", "emoji is only allowed on plain_text")
		}
	default:
		return nil, errAt(ptr+"/type", "must be plain_text or mrkdwn (got %q)", t.Type)
	}
	n := utf8.RuneCountInString(t.Text)
	if n == 0 {
		return nil, errAt(ptr+"/text", "must be more than 0 characters")
	}
	if n > limit {
		return nil, errAt(ptr+"/text", "must be less than %d characters (got %d)", limit+1, n)
	}
	return &t, nil
}

func str(o object, key, ptr string) (string, error) {
	s, ok, err := optStr(o, key, ptr)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errAt(ptr+"/"+key, "missing required field: %s", key)
	}
	return s, nil
}

func optStr(o object, key, ptr string) (string, bool, error) {
	raw, ok := o[key]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, errAt(ptr+"/"+key, "must be a string")
	}
	return s, true, nil
}

func array(o object, key, ptr string, limit int) ([]json.RawMessage, error) {
	raw, ok := o[key]
	if !ok {
		return nil, errAt(ptr+"/"+key, "missing required field: %s", key)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || len(a) == 0 {
		return nil, errAt(ptr+"/"+key, "must be a non-empty array")
	}
	if limit > 0 && len(a) > limit {
		return nil, errAt(ptr+"/"+key, "must provide at most %d items (got %d)", limit, len(a))
	}
	return a, nil
}
