package blob

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/atelier-app/atelier"
)

// A full filesystem is KindNoSpace (507: someone must free space), not
// KindUnavailable (503: back in a moment); other write failures keep
// their kinds. make chaos fills a real tmpfs (docs/chaos.md).
func TestLocalPutErrKinds(t *testing.T) {
	l := &Local{}
	for _, tc := range []struct {
		err  error
		want atelier.Kind
	}{
		{&fs.PathError{Op: "write", Path: "/blobs/.tmp-1", Err: syscall.ENOSPC}, atelier.KindNoSpace},
		{&fs.PathError{Op: "write", Path: "/blobs/.tmp-1", Err: syscall.EDQUOT}, atelier.KindNoSpace},
		{&fs.PathError{Op: "open", Path: "/blobs/a", Err: syscall.EACCES}, atelier.KindUnavailable},
		{&fs.PathError{Op: "mkdir", Path: "/blobs/a", Err: syscall.ENOTDIR}, atelier.KindConflict},
		{errors.New("boom"), atelier.KindUnavailable},
	} {
		if got := atelier.ErrorKind(l.putErr("a/b", tc.err)); got != tc.want {
			t.Errorf("%v: kind %s, want %s", tc.err, got, tc.want)
		}
	}
}
