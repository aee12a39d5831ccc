package alert

import "fmt"

var channelFields = []string{"name", "type", "channel", "token", "webhook_url", "url", "secret"}

// channelTypeFields are the fields each channel type accepts beside name and type.
var channelTypeFields = map[string][]string{
	ChannelSlack:   {"channel", "token", "webhook_url"},
	ChannelWebhook: {"url", "secret"},
}

// decodeChannel reads one channel; it returns nil when it has a problem.
func decodeChannel(r *report, n *node, index int) *parsedChannel {
	it := newItem(r, n, "channel", fmt.Sprintf("channels[%d]", index), channelFields)
	if n.kind != mappingNode {
		return nil
	}
	pc := &parsedChannel{}
	c := &pc.Channel
	c.Name = it.str("name")
	checkName(it, c.Name)
	if it.has("name") {
		pc.namePos = it.vals["name"].pos
	}
	c.Source = Source{File: r.file, Line: n.pos.Line, Column: n.pos.Column}
	c.Type = it.oneOf("type", ChannelSlack, ChannelWebhook)
	if !it.has("type") {
		it.failAt(n.pos, "type is required (slack or webhook)")
	}
	c.Channel, c.Token, c.WebhookURL = it.str("channel"), it.str("token"), it.str("webhook_url")
	c.URL, c.Secret = it.str("url"), it.str("secret")
	if allowed, ok := channelTypeFields[c.Type]; ok {
		for f := range it.vals {
			if f != "name" && f != "type" && !contains(allowed, f) {
				it.fail(f, "does not apply to channel type %s", c.Type)
			}
		}
	}
	switch c.Type {
	case ChannelSlack:
		checkSlack(it, c)
	case ChannelWebhook:
		if !it.has("url") {
			it.fail("type", "a webhook channel needs url")
		}
		checkURL(it, "url")
	}
	if it.bad {
		return nil
	}
	return pc
}

func checkSlack(it *item, c *Channel) {
	switch {
	case c.WebhookURL != "" && (c.Token != "" || c.Channel != ""):
		it.fail("webhook_url", "use either webhook_url or token and channel, not both")
	case c.WebhookURL != "":
		checkURL(it, "webhook_url")
	case c.Token == "" || c.Channel == "":
		it.fail("type", "a slack channel needs token and channel, or webhook_url")
	}
}
