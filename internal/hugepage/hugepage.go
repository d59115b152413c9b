// Package hugepage asks the kernel to back large, long-lived buffers with
// transparent huge pages. A catalog's decoded images are one buffer of
// about 150 MB; faulted in 4 KiB at a time, its first touch alone cost
// 36,000 page faults when a training command started (machines that keep
// transparent huge pages for memory that asks for them, the usual
// "madvise" setting). It is a hint: where the kernel cannot or will not,
// nothing changes.
package hugepage

import "unsafe"

// pageSize is the unit madvise works in.
const pageSize = 4096

// Floats advises that buf be backed by huge pages; the pages it only
// partly covers at either end are left alone.
func Floats(buf []float32) {
	if len(buf) == 0 {
		return
	}
	addr := uintptr(unsafe.Pointer(&buf[0]))
	start, n := pageRange(addr, 4*uintptr(len(buf)))
	if n == 0 {
		return
	}
	advise(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&buf[0]), start-addr)), n))
}

// pageRange returns the whole pages inside [addr, addr+size): the first
// page-aligned address and the length, a multiple of the page size (0 when
// no whole page fits).
func pageRange(addr, size uintptr) (start, n uintptr) {
	start = (addr + pageSize - 1) &^ (pageSize - 1)
	end := (addr + size) &^ (pageSize - 1)
	if end <= start {
		return start, 0
	}
	return start, end - start
}
