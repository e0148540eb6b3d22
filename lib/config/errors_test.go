// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBadInputIsReportedWithFileAndLine(t *testing.T) {
	const ok = "# a valid start\nbond0SLAVES='enp3s0 wl*'\n" // lines 1-2
	for _, tc := range []struct {
		name string
		src  string
		line int
		want string
	}{
		{"an unterminated single quote is an error", ok + "bond0ADDRS='192.168.0.2/24\n", 3, "unterminated single quote"},
		{"a quoted value cannot span lines", ok + "bond0ADDRS=\"192.168.0.2/24\n10.0.0.1/8\"\n", 3, "unterminated double quote"},
		{"a line without = is an error", ok + "bond0MODE active-backup\n", 3, "no '='"},
		{"an empty key is an error", ok + "='x'\n", 3, "empty key"},
		{"CRLF line endings are an error", "# a\r\nbond0SLAVES=enp3s0\r\n", 1, "CRLF line ending"},
		{"a byte order mark is an error", "\xEF\xBB\xBFbond0SLAVES=enp3s0\n", 1, "byte order mark"},
		{"a NUL byte is an error", ok + "bond0MODE=active\x00-backup\n", 3, "NUL byte"},
		{"invalid UTF-8 is an error", ok + "# caf\xe9\n", 3, "invalid UTF-8"},
		{"a control character is an error", ok + "bond0MODE=active-backup\x1b[0m\n", 3, "control character"},
		{"a duplicate key with a different value names both lines", ok + "bond0MODE=1\nbond0MODE=2\n", 4, "line 3"},
		{"an address without a prefix length is an error", ok + "bond0ADDRS='192.168.0.2'\n", 3, "no prefix length"},
		{"an IPv4 prefix of /33 is an error", ok + "bond0ADDRS='192.168.0.2/33'\n", 3, `"192.168.0.2/33"`},
		{"an IPv6 prefix of /129 is an error", ok + "bond0ADDRS='fd00::1/129'\n", 3, `"fd00::1/129"`},
		{"an IPv4-mapped IPv6 address is an error (issue 19 item 4)", ok + "bond0ADDRS='::ffff:10.1.1.1/104'\n", 3, "IPv4-mapped IPv6 address"},
		{"a multicast address is an error (issue 19 item 4)", ok + "bond0ADDRS='ff02::1/64'\n", 3, "multicast address"},
		{"the unspecified address is an error (issue 19 item 4)", ok + "bond0ADDRS='0.0.0.0/8'\n", 3, "unspecified address"},
		{"an IPv4-mapped route destination is an error (issue 19 item 4)", ok + `bond0ROUTES='"::ffff:10.0.0.0/104 via fd00::1"'` + "\n", 3, "IPv4-mapped IPv6 prefix"},
		{"an IPv4-mapped gateway is an error (issue 19 item 4)", ok + `bond0ROUTES='"fd00:9::/48 via ::ffff:10.1.1.1"'` + "\n", 3, "gateway ::ffff:10.1.1.1 is an IPv4-mapped"},
		{"a multicast gateway is an error (issue 19 item 4)", ok + `bond0ROUTES='"10.9.0.0/16 via 224.0.0.1"'` + "\n", 3, "not a unicast address"},
		{"lo among the slaves is an error (issue 19 item 3)", ok + "br0SLAVES='veth0 lo'\n", 3, "lo is the loopback device"},
		{"a duplicate address is an error", ok + "bond0ADDRS='10.0.0.1/8 10.0.0.1/16'\n", 3, "listed twice"},
		{"garbage route words are an error", ok + `bond0ROUTES='"default via 10.0.0.1 please"'` + "\n", 3, `unknown word "please"`},
		{"a gateway of the wrong family is an error", ok + `bond0ROUTES='"10.0.0.0/8 via fd00::1"'` + "\n", 3, "gateway fd00::1 is IPv6"},
		{"a route word outside quotes is an error", ok + `bond0ROUTES='"default via 10.0.0.1" 10.9.0.0/16'` + "\n", 3, "outside double quotes"},
		{"an unknown mode is an error", ok + "bond0MODE=fastest\n", 3, `unknown bonding mode "fastest"`},
		{"a negative miimon is an error", ok + "bond0MIIMON=-100\n", 3, "not a whole number"},
		{"a huge miimon is an error", ok + "bond0MIIMON=2147483648\n", 3, "out of range"},
		{"a primary that is not among the slaves is an error", ok + "bond0PRIMARY=eth9\n", 3, "eth9 is not among bond0SLAVES"},
		{"a slave glob that matches the master itself is an error", "# x\nbond0SLAVES='enp3s0 bond*'\n", 2, "matches the master bond0 itself"},
		{"a slave glob that matches another master is an error", "br0DHCP=no\nbond0SLAVES='enp3s0 b*'\n", 2, "matches br0, which is a master"},
		{"a 16-byte slave name is an error", ok + "bond1SLAVES='abcdefghijklmnop'\n", 3, "16 bytes"},
		{"a 16-byte key prefix is an error", ok + "abcdefghijklmnopSLAVES=x\n", 3, "16 bytes"},
		{"a slave name with '/' is an error", ok + "bond1SLAVES='a/b'\n", 3, "'/'"},
		{"a primary with a space is an error", ok + "bond0PRIMARY='enp 3s0'\n", 3, "a space"},
		{"a slave name with ';' is an error", ok + "bond1SLAVES='eth0;reboot'\n", 3, "';'"},
		{"a slave name with $( is an error", ok + "bond1SLAVES='$(reboot)'\n", 3, "'$'"},
		{"a non-ASCII slave name is an error", ok + "bond1SLAVES='éth0'\n", 3, "non-ASCII"},
		{"an updelay that is not a multiple of miimon is an error", ok + "bond0MIIMON=100\nbond0UPDELAY=150\n", 4, "not a multiple of bond0MIIMON 100"},
		{"a downdelay without miimon is an error", ok + "bond0MIIMON=0\nbond0DOWNDELAY=200\n", 4, "must be 0 when bond0MIIMON is 0"},
		{"a bonding key on a bridge is an error", "br0SLAVES=eth0\nbr0MODE=802.3ad\n", 2, "br0 is a bridge"},
		{"a primary on a bridge is an error", "br0SLAVES=eth0\nbr0PRIMARY=eth0\n", 2, "bridges have no primary"},
		{"a relative SUPPLICANT_CONF is an error", ok + "wlp2s0SUPPLICANT_CONF=wpa.conf\n", 3, "not an absolute path"},
		{"an unknown setting suggests the closest one", ok + "bond0PRIMRY=enp3s0\n", 3, "did you mean bond0PRIMARY?"},
		{"a lower-case setting suggests the upper-case one", ok + "bond0slaves=enp3s0\n", 3, "did you mean bond0SLAVES?"},
		{"a '-' in a key is an error", ok + "bond-0SLAVES=x\n", 3, "write '-' in interface names as '_'"},
		{"text after a closing quote is an error", ok + "bond0MODE='active-backup'x\n", 3, "after the closing quote"},
		{"an unknown escape is an error", ok + `bond0MODE="active\tbackup"` + "\n", 3, `unknown escape \t`},
		{"addresses on a slave are an error", ok + "enp3s0ADDRS='10.0.0.1/8'\n", 3, "ADDRS on enp3s0, which is not a master (slave addresses are flushed when enslaved)"},
		{"routes on a slave are an error", ok + "enp3s0ROUTES='default'\n", 3, "ROUTES on enp3s0, which is not a master"},
		{"a supplicant setting on a master is an error", ok + "bond0SUPPLICANT=yes\n", 3, "SUPPLICANT on bond0, which is a master"},
		{"an invalid glob is an error", ok + "bond1SLAVES='wl['\n", 3, "not a valid glob"},
		{"a key with no interface name is an error", ok + "SLAVES=eth0\n", 3, "no interface name"},
		{"a primary in 802.3ad mode is an error", ok + "bond0PRIMARY=enp3s0\nbond0MODE=802.3ad\n", 3, "mode 802.3ad has no primary"},
		{"a route to the local table is an error", ok + `bond0ROUTES='"10.0.0.0/8 via 10.0.0.1 table local"'` + "\n", 3, "table local"},
		{"onlink without a gateway is an error", ok + `bond0ROUTES='"10.0.0.0/8 onlink"'` + "\n", 3, "onlink needs a gateway"},
		{"two routes that would replace each other are an error", ok + `bond0ROUTES='"10.0.0.0/8 via 10.0.0.1" "10.0.0.0/8 via 10.0.0.2"'` + "\n", 3, "same destination, table and metric"},
		{"an unknown DHCP value is an error", ok + "bond0DHCP=maybe\n", 3, "not yes or no"},
		{"a slave listed twice is an error", ok + "bond1SLAVES='eth0 eth0'\n", 3, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := mustFail(t, tc.src)
			if findError(list, tc.line, tc.want) == nil {
				t.Fatalf("want an error at line %d containing %q; got:\n%v", tc.line, tc.want, list)
			}
			if prefix := fmt.Sprintf("%s:%d: ", testPath, tc.line); !strings.Contains(list.Error(), prefix) {
				t.Errorf("message lacks %q:\n%v", prefix, list)
			}
		})
	}
}

func TestOversizedFileIsRefusedBeforeParsing(t *testing.T) {
	data := []byte(strings.Repeat("# padding padding padding padding padding padding\n", 10<<20/50))
	list := mustFail(t, string(data))
	if len(list) != 1 || list[0].Line != 0 || !strings.HasPrefix(list[0].Error(), "test.conf: file is ") ||
		!strings.Contains(list[0].Msg, "limit") {
		t.Errorf("got %v", list)
	}
}

func TestEveryProblemIsReportedAtOnceInLineOrder(t *testing.T) {
	list := mustFail(t, "bond0MODE=fast\nbond0MIIMON=x\n\nbond0ADDRS='1.2.3.4'\nenp3s0ADDRS='10.0.0.1/8'\nbroken line\n")
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Line)
	}
	if fmt.Sprint(lines) != "[1 2 4 5 6]" {
		t.Errorf("error lines %v, want [1 2 4 5 6]:\n%v", lines, list)
	}
}

func TestCRLFIsReportedOnceForTheWholeFile(t *testing.T) {
	list := mustFail(t, "# a\r\n# b\r\nbond0SLAVES=eth0\r\n")
	if len(list) != 1 || list[0].Line != 1 || !strings.Contains(list[0].Msg, "and on 2 more lines") {
		t.Errorf("got %v", list)
	}
}

func TestDuplicateKeyWithTheSameValueIsFine(t *testing.T) {
	c := mustParse(t, "bond0SLAVES=eth0\nbond0SLAVES='eth0'\n")
	if m, _ := c.Master("bond0"); m.Line["SLAVES"] != 1 {
		t.Errorf("line = %d, want the first (1)", m.Line["SLAVES"])
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{Path: "/etc/conf.d/network.conf", Line: 3, Text: "bond0MODE=x", Msg: "bad"}, `/etc/conf.d/network.conf:3: bad: "bond0MODE=x"`},
		{Error{Path: "n.conf", Line: 3, Msg: "bad"}, `n.conf:3: bad`},
		{Error{Path: "n.conf", Msg: "bad"}, `n.conf: bad`},
		{Error{Path: "n.conf", Line: 1, Text: "a\x00b", Msg: "NUL"}, `n.conf:1: NUL: "a\x00b"`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
	list := mustFail(t, "K="+strings.Repeat("é", 500)+"\n")
	if len(list[0].Text) > maxText+3 {
		t.Errorf("text not shortened: %d bytes", len(list[0].Text))
	}
}

func TestErrorsAreFoundWithErrorsAs(t *testing.T) {
	_, err := Parse("n.conf", []byte("bond0MODE=x\n"))
	var e *Error
	if !errors.As(err, &e) || e.Path != "n.conf" || e.Line != 1 || e.Text != "bond0MODE=x" {
		t.Fatalf("errors.As: %#v", e)
	}
	if errors.Is(err, ErrInsecure) {
		t.Error("a syntax error is not ErrInsecure")
	}
}

// Issue 19 item 11: a file of junk is reported in bounded space: the first
// MaxReported problems and a count, each message cut short.
func TestJunkIsReportedInBoundedSpace(t *testing.T) {
	var junk strings.Builder
	for i := 0; junk.Len() < 1<<20-(1<<17); i++ {
		fmt.Fprintf(&junk, "x%d=%s\n", i, strings.Repeat("\x01y", i%700))
	}
	junk.WriteString("bond0SLAVES='" + strings.Repeat("a", 1<<16) + "'\n")
	_, err := Parse("/etc/conf.d/network.conf", []byte(junk.String()))
	var list ErrorList
	if !errors.As(err, &list) || len(list) <= MaxReported {
		t.Fatalf("want more than %d problems, got %v", MaxReported, err)
	}
	msg := err.Error()
	if n := strings.Count(msg, "\n") + 1; n != MaxReported+1 {
		t.Errorf("%d lines reported, want %d and a count", n, MaxReported+1)
	}
	if want := fmt.Sprintf("and %d more problems", len(list)-MaxReported); !strings.Contains(msg, want) {
		t.Errorf("no count %q in the last line: %q", want, msg[strings.LastIndex(msg, "\n")+1:])
	}
	if len(msg) > 16<<10 {
		t.Errorf("the report is %d bytes, want at most 16 KiB", len(msg))
	}
	for _, e := range list {
		if len(e.Error()) > 1<<10 {
			t.Fatalf("one problem is reported in %d bytes: %.200s...", len(e.Error()), e.Error())
		}
	}
}
