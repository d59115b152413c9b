package hugepage

import "golang.org/x/sys/unix"

// advise marks b (page-aligned) MADV_HUGEPAGE; an error (a kernel without
// transparent huge pages) leaves the memory as it was, which is all a hint
// can promise.
func advise(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }
