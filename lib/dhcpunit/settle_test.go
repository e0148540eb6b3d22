// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestUsableFlags(t *testing.T) {
	for _, tc := range []struct {
		flags int
		want  bool
	}{
		{0, true},
		{unix.IFA_F_PERMANENT, true},
		{unix.IFA_F_TENTATIVE, false},
		{unix.IFA_F_TENTATIVE | unix.IFA_F_OPTIMISTIC, true},
		{unix.IFA_F_OPTIMISTIC, true},
		{unix.IFA_F_DADFAILED | unix.IFA_F_TENTATIVE, false},
		{unix.IFA_F_DADFAILED | unix.IFA_F_OPTIMISTIC | unix.IFA_F_TENTATIVE, false},
	} {
		if got := usableFlags(tc.flags); got != tc.want {
			t.Errorf("usableFlags(%#x) = %v, want %v", tc.flags, got, tc.want)
		}
	}
}
