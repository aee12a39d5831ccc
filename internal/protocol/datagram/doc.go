// Package datagram parses the UDP datagrams that in-process agents (inside
// web apps) send to vigil on port 51712 after each outgoing HTTP call.
//
// A datagram is one line: fields separated by tabs, a version code first,
// terminated by a line feed.
//
//	0 TAB method TAB host TAB path TAB duration_ms LF
//	1 TAB method TAB full_url TAB duration_ms LF
//
// duration_ms is milliseconds, whole or fractional ("12", "12.5", "0.125",
// also exponent forms such as "1e-05" that some runtimes print for small
// floats).
//
// Real senders differ, so Parse also accepts:
//   - no line feed, "\r\n", or any other leading/trailing spaces, tabs, CR, LF;
//   - runs of spaces instead of tabs: a datagram with no tab is split on
//     runs of spaces; a datagram with a tab is split on single tabs and each
//     field is trimmed of spaces (an empty v0 path field then means "/");
//   - a v0 host with an http/https scheme, a port, a trailing "/" or
//     userinfo ("https://u:p@API.example.com:8443/");
//   - a path or URL with a query string and/or a fragment;
//   - a method in any case (it is upper-cased).
//
// Userinfo and fragments are dropped: they never reach the wire and
// userinfo may hold credentials. Host is lower-cased; ports, percent
// escapes and the path are kept as sent.
//
// Parse rejects, with an *Error whose Reason names the cause, anything it
// would have to guess: an unknown version, a wrong field count, a method
// that is not an HTTP token, an invalid host or port, a scheme other than
// http/https, a v1 URL without a scheme, a v0 path not starting with "/"
// or "?", a space in a path or query (it cannot be on the wire, and a
// space-separated datagram could not carry it), a duration that is not a plain decimal number of milliseconds or
// is negative or above 24h, invalid UTF-8 or control characters, and
// datagrams larger than MaxSize.
//
// Parse converts the datagram to a string once and returns sub-strings of
// it (common methods are interned), so a parse costs one allocation in the
// common case; the fields keep the datagram's bytes alive while referenced.
package datagram
