package blob

import (
	"strconv"
	"strings"

	"github.com/atelier-app/atelier"
)

// MaxKeyLen bounds key length, well under S3's 1024 bytes and file-system
// path limits.
const MaxKeyLen = 512

// ValidateKey checks a key for both backends, so that a key accepted by one
// is accepted by the other and none can leave a local store's directory.
// A key is a relative slash-separated path of at most MaxKeyLen bytes made
// of letters, digits, '.', '_', '-' and '/', with no empty, "." or ".."
// segments and no segment starting with '.' (those names are reserved for
// the local store's own files).
func ValidateKey(key string) error {
	if key == "" {
		return atelier.Errorf(atelier.KindInvalid, "blob key must not be empty")
	}
	bad := func(why string) error {
		return atelier.Errorf(atelier.KindInvalid, "invalid blob key %q: %s", key, why)
	}
	switch {
	case len(key) > MaxKeyLen:
		return bad("longer than 512 bytes")
	case strings.ContainsRune(key, 0):
		return bad("contains a NUL byte")
	case strings.ContainsRune(key, '\\'):
		return bad("contains a backslash")
	case strings.HasPrefix(key, "/"):
		return bad("must be relative, not start with '/'")
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "..":
			return bad("'..' segments are not allowed")
		case seg == "" || seg == ".":
			return bad("empty or '.' segments are not allowed")
		case seg[0] == '.':
			return bad("segments must not start with '.'")
		}
	}
	for _, c := range key {
		if !keyChar(c) {
			return bad("character " + strconv.QuoteRune(c) + " is not allowed (use letters, digits, '.', '_', '-', '/')")
		}
	}
	return nil
}

// validatePrefix checks a List prefix: "" or the start of a valid key,
// possibly ending with '/'.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return atelier.Errorf(atelier.KindInvalid, "invalid blob prefix %q: %s", prefix, atelier.ErrorMessage(err))
	}
	return nil
}

func keyChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '/'
}
