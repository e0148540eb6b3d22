// SPDX-License-Identifier: Apache-2.0

package hwsim

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"syscall"
	"testing"
)

// hdr builds the expected 20-byte nlmsghdr+genlmsghdr on this machine's endianness.
func hdr(length uint32, typ, flags uint16, seq uint32, cmd, version uint8) []byte {
	b := make([]byte, 20)
	binary.NativeEndian.PutUint32(b[0:], length)
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], flags)
	binary.NativeEndian.PutUint32(b[8:], seq)
	b[16], b[17] = cmd, version
	return b
}

func nla(typ uint16, payload ...byte) []byte {
	b := make([]byte, 4, 4+len(payload)+3)
	binary.NativeEndian.PutUint16(b[0:], uint16(4+len(payload)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestNewRadioRequestEncodesCustomRegNameAndAck(t *testing.T) {
	got, err := newRadioRequest(0x22, 7, RadioConfig{Name: "phy-lab", UseCustomReg: true, CustomReg: 0})
	if err != nil {
		t.Fatal(err)
	}
	attrs := cat(nla(AttrRegCustomReg, u32(0)...), nla(AttrRadioName, []byte("phy-lab")...))
	want := cat(hdr(uint32(20+len(attrs)), 0x22, nlmFRequest|nlmFAck, 7, CmdNewRadio, 1), attrs)
	if !bytes.Equal(got, want) {
		t.Fatalf("NEW_RADIO\n got %s\nwant %s", hex.EncodeToString(got), hex.EncodeToString(want))
	}
	if len(got)%4 != 0 {
		t.Fatalf("message length %d not 4-aligned", len(got))
	}
}

func TestNewRadioRequestWithoutOptionsHasNoAttributes(t *testing.T) {
	got, err := newRadioRequest(0x22, 1, RadioConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if want := hdr(20, 0x22, nlmFRequest|nlmFAck, 1, CmdNewRadio, 1); !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
}

func TestNewRadioRequestAllOptions(t *testing.T) {
	got, err := newRadioRequest(0x22, 3, RadioConfig{
		Channels: 2, Alpha2: "US", NoVIF: true, PermAddr: []byte{2, 0, 0, 0, 9, 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	attrs := cat(nla(AttrChannels, u32(2)...), nla(AttrRegHintAlpha2, 'U', 'S'),
		nla(AttrNoVIF), nla(AttrPermAddr, 2, 0, 0, 0, 9, 0))
	want := cat(hdr(uint32(20+len(attrs)), 0x22, nlmFRequest|nlmFAck, 3, CmdNewRadio, 1), attrs)
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
}

func TestNewRadioRequestRejectsBadValues(t *testing.T) {
	if _, err := newRadioRequest(1, 1, RadioConfig{Alpha2: "USA"}); err == nil {
		t.Error("three-letter regulatory hint accepted")
	}
	if _, err := newRadioRequest(1, 1, RadioConfig{PermAddr: []byte{1, 2}}); err == nil {
		t.Error("2-byte MAC accepted")
	}
}

func TestDelRadioRequests(t *testing.T) {
	got := delRadioRequest(0x22, 9, 5)
	want := cat(hdr(28, 0x22, nlmFRequest|nlmFAck, 9, CmdDelRadio, 1), nla(AttrRadioID, u32(5)...))
	if !bytes.Equal(got, want) {
		t.Fatalf("by id: got %x want %x", got, want)
	}
	got = delRadioByNameRequest(0x22, 10, "phy3")
	want = cat(hdr(28, 0x22, nlmFRequest|nlmFAck, 10, CmdDelRadio, 1), nla(AttrRadioName, []byte("phy3")...))
	if !bytes.Equal(got, want) {
		t.Fatalf("by name: got %x want %x", got, want)
	}
}

func TestDumpAndFamilyRequests(t *testing.T) {
	if got, want := dumpRadiosRequest(0x22, 4), hdr(20, 0x22, nlmFRequest|nlmFDump, 4, CmdGetRadio, 1); !bytes.Equal(got, want) {
		t.Fatalf("dump: got %x want %x", got, want)
	}
	got := getFamilyRequest(2, FamilyName)
	name := append([]byte(FamilyName), 0) // "MAC80211_HWSIM\0": 15 bytes, padded to 16
	want := cat(hdr(uint32(20+4+16), genlIDCtrl, nlmFRequest|nlmFAck, 2, ctrlCmdGetFamily, 2), nla(ctrlAttrFamilyName, name...))
	if !bytes.Equal(got, want) {
		t.Fatalf("family: got %x want %x", got, want)
	}
}

// ack builds an NLMSG_ERROR answer as the kernel sends it with NETLINK_CAP_ACK.
func ack(seq uint32, code int32) []byte {
	b := make([]byte, 16+4+16)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], nlmsgError)
	binary.NativeEndian.PutUint32(b[8:], seq)
	binary.NativeEndian.PutUint32(b[16:], uint32(code))
	return b
}

func TestParseAckCarriesRadioIDOrErrno(t *testing.T) {
	msgs, err := parseMessages(cat(ack(7, 3), ack(8, -int32(syscall.ENODEV))))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if msgs[0].Seq != 7 || msgs[0].Error != 3 || ackError(msgs[0].Error) != nil {
		t.Errorf("new radio ack: %+v", msgs[0])
	}
	if !errors.Is(ackError(msgs[1].Error), syscall.ENODEV) {
		t.Errorf("failure ack: %+v -> %v", msgs[1], ackError(msgs[1].Error))
	}
}

func TestParseRadioDump(t *testing.T) {
	one := func(seq uint32, id uint32, name string, nul bool) []byte {
		n := []byte(name)
		if nul {
			n = append(n, 0)
		}
		attrs := cat(nla(AttrRadioID, u32(id)...), nla(AttrRadioName, n...), nla(AttrChannels, u32(1)...))
		return cat(hdr(uint32(20+len(attrs)), 0x22, nlmFMulti, seq, CmdGetRadio, 1), attrs)
	}
	done := hdr(20, nlmsgDone, nlmFMulti, 5, 0, 0)
	msgs, err := parseMessages(cat(one(5, 0, "phy0", false), one(5, 12, "lab-ap", true), done))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[2].Type != nlmsgDone {
		t.Fatalf("got %+v", msgs)
	}
	var radios []Radio
	for _, m := range msgs[:2] {
		r, err := radioFromMsg(m)
		if err != nil {
			t.Fatal(err)
		}
		radios = append(radios, r)
	}
	if radios[0] != (Radio{0, "phy0"}) || radios[1] != (Radio{12, "lab-ap"}) {
		t.Fatalf("radios %v", radios)
	}
}

func TestParseFamilyAnswer(t *testing.T) {
	attrs := cat(nla(ctrlAttrFamilyName, append([]byte(FamilyName), 0)...), nla(ctrlAttrFamilyID, 0x23, 0x00))
	b := cat(hdr(uint32(20+len(attrs)), genlIDCtrl, 0, 1, 1, 2), attrs)
	msgs, err := parseMessages(b)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%v %v", msgs, err)
	}
	id, err := familyIDFromMsg(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := binary.NativeEndian.Uint16([]byte{0x23, 0}); id != want {
		t.Fatalf("family id %#x, want %#x", id, want)
	}
}

func TestParseRejectsTruncatedInput(t *testing.T) {
	b := ack(1, 0)
	if _, err := parseMessages(b[:len(b)-1]); err == nil {
		t.Error("short message accepted")
	}
	bad := cat(hdr(28, 0x22, 0, 1, CmdGetRadio, 1), []byte{40, 0, 10, 0, 0, 0, 0, 0})
	if _, err := parseMessages(bad); err == nil {
		t.Error("attribute longer than its message accepted")
	}
}
