// SPDX-License-Identifier: Apache-2.0

// Package fnmatch is the C library's fnmatch(3), the matcher udev uses for rule
// patterns, for the tests of lib/udevrule only: they check our translation of config
// globs against the real thing, not against our idea of it.
package fnmatch

// #include <fnmatch.h>
// #include <stdlib.h>
import "C"

import "unsafe"

// Match reports whether fnmatch(pattern, name, 0) matches, as udev calls it.
func Match(pattern, name string) bool {
	p, n := C.CString(pattern), C.CString(name)
	defer C.free(unsafe.Pointer(p))
	defer C.free(unsafe.Pointer(n))
	return C.fnmatch(p, n, 0) == 0
}
