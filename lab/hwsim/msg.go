// SPDX-License-Identifier: Apache-2.0

// Package hwsim creates, lists and deletes mac80211_hwsim radios through the
// kernel's MAC80211_HWSIM generic netlink family. The VM lab uses it to plug
// and pull simulated Wi-Fi cards one at a time, which the module parameter
// "radios=N" cannot do.
//
// This file holds the pure part: message encoding and decoding, testable on a
// host without the module. conn_linux.go talks to the kernel.
package hwsim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
)

// FamilyName is the generic netlink family registered by mac80211_hwsim.
const FamilyName = "MAC80211_HWSIM"

// familyVersion is the version field of hwsim's genl_family.
const familyVersion = 1

// Commands of the MAC80211_HWSIM family (enum hwsim_commands).
const (
	CmdNewRadio = 4
	CmdDelRadio = 5
	CmdGetRadio = 6
)

// Attributes of the MAC80211_HWSIM family (enum hwsim_attrs).
const (
	AttrChannels      = 9
	AttrRadioID       = 10
	AttrRegHintAlpha2 = 11
	AttrRegCustomReg  = 12
	AttrRegStrictReg  = 13
	AttrRadioName     = 17
	AttrNoVIF         = 18
	AttrPermAddr      = 22
)

// Generic netlink controller constants (linux/genetlink.h).
const (
	genlIDCtrl         = 0x10
	ctrlCmdGetFamily   = 3
	ctrlVersion        = 2
	ctrlAttrFamilyID   = 1
	ctrlAttrFamilyName = 2
)

// Netlink header constants (linux/netlink.h).
const (
	nlmsgHdrLen  = 16
	genlHdrLen   = 4
	nlaHdrLen    = 4
	nlmsgError   = 2
	nlmsgDone    = 3
	nlmFRequest  = 0x1
	nlmFMulti    = 0x2
	nlmFAck      = 0x4
	nlmFDump     = 0x300
	nlaTypeMask  = 0x3fff
	nlmsgErrSize = 4 + nlmsgHdrLen
)

// RadioConfig describes a radio to create. The zero value asks the kernel for
// its defaults: a name phyN, a wlanN interface, the world regulatory domain.
type RadioConfig struct {
	// Name is the wiphy name (e.g. "phy-lab0"); empty lets the kernel choose.
	Name string
	// CustomReg selects hwsim's custom regulatory domain with this index when
	// UseCustomReg is set: fewer channels, so a scan and an association are
	// much faster (like a laptop card with its country set).
	UseCustomReg bool
	CustomReg    uint32
	// Alpha2 is a regulatory hint ("US"), optional.
	Alpha2 string
	// Channels is the number of concurrent channels (0: kernel default).
	Channels uint32
	// NoVIF creates the wiphy without its wlanN network interface.
	NoVIF bool
	// PermAddr is the radio's permanent MAC address (6 bytes), optional.
	PermAddr []byte
}

// Radio is one radio as the kernel lists it.
type Radio struct {
	ID   int
	Name string
}

func (r Radio) String() string { return fmt.Sprintf("%d %s", r.ID, r.Name) }

func align4(n int) int { return (n + 3) &^ 3 }

// attr encodes one netlink attribute, padded to 4 bytes.
func attr(typ uint16, data []byte) []byte {
	b := make([]byte, align4(nlaHdrLen+len(data)))
	binary.NativeEndian.PutUint16(b[0:2], uint16(nlaHdrLen+len(data)))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[nlaHdrLen:], data)
	return b
}

func attrU32(typ uint16, v uint32) []byte {
	var d [4]byte
	binary.NativeEndian.PutUint32(d[:], v)
	return attr(typ, d[:])
}

// attrString encodes a NUL-terminated string attribute (NLA_STRING/NLA_NUL_STRING).
func attrString(typ uint16, s string) []byte { return attr(typ, append([]byte(s), 0)) }

func attrFlag(typ uint16) []byte { return attr(typ, nil) }

// message encodes a complete generic netlink request.
func message(family uint16, flags uint16, seq uint32, cmd, version uint8, attrs ...[]byte) []byte {
	n := nlmsgHdrLen + genlHdrLen
	for _, a := range attrs {
		n += len(a)
	}
	b := make([]byte, 0, n)
	var h [nlmsgHdrLen + genlHdrLen]byte
	binary.NativeEndian.PutUint32(h[0:4], uint32(n))
	binary.NativeEndian.PutUint16(h[4:6], family)
	binary.NativeEndian.PutUint16(h[6:8], flags|nlmFRequest)
	binary.NativeEndian.PutUint32(h[8:12], seq)
	// h[12:16]: port id 0, the kernel fills in ours.
	h[16] = cmd
	h[17] = version
	b = append(b, h[:]...)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// getFamilyRequest asks the controller for the id of a family.
func getFamilyRequest(seq uint32, name string) []byte {
	return message(genlIDCtrl, nlmFAck, seq, ctrlCmdGetFamily, ctrlVersion, attrString(ctrlAttrFamilyName, name))
}

// newRadioRequest encodes HWSIM_CMD_NEW_RADIO. The kernel answers with an
// acknowledgement whose error field is the new radio's id (>= 0).
func newRadioRequest(family uint16, seq uint32, c RadioConfig) ([]byte, error) {
	var attrs [][]byte
	if c.Channels > 0 {
		attrs = append(attrs, attrU32(AttrChannels, c.Channels))
	}
	if c.Alpha2 != "" {
		if len(c.Alpha2) != 2 {
			return nil, fmt.Errorf("regulatory hint %q: want two letters", c.Alpha2)
		}
		attrs = append(attrs, attr(AttrRegHintAlpha2, []byte(c.Alpha2)))
	}
	if c.UseCustomReg {
		attrs = append(attrs, attrU32(AttrRegCustomReg, c.CustomReg))
	}
	if c.Name != "" {
		attrs = append(attrs, attr(AttrRadioName, []byte(c.Name)))
	}
	if c.NoVIF {
		attrs = append(attrs, attrFlag(AttrNoVIF))
	}
	if c.PermAddr != nil {
		if len(c.PermAddr) != 6 {
			return nil, fmt.Errorf("permanent address %x: want 6 bytes", c.PermAddr)
		}
		attrs = append(attrs, attr(AttrPermAddr, c.PermAddr))
	}
	return message(family, nlmFAck, seq, CmdNewRadio, familyVersion, attrs...), nil
}

// delRadioRequest encodes HWSIM_CMD_DEL_RADIO by id.
func delRadioRequest(family uint16, seq uint32, id int) []byte {
	return message(family, nlmFAck, seq, CmdDelRadio, familyVersion, attrU32(AttrRadioID, uint32(id)))
}

// delRadioByNameRequest encodes HWSIM_CMD_DEL_RADIO by wiphy name.
func delRadioByNameRequest(family uint16, seq uint32, name string) []byte {
	return message(family, nlmFAck, seq, CmdDelRadio, familyVersion, attr(AttrRadioName, []byte(name)))
}

// dumpRadiosRequest encodes a HWSIM_CMD_GET_RADIO dump of this namespace's radios.
func dumpRadiosRequest(family uint16, seq uint32) []byte {
	return message(family, nlmFDump, seq, CmdGetRadio, familyVersion)
}

// netlinkMsg is one decoded netlink message.
type netlinkMsg struct {
	Type  uint16
	Flags uint16
	Seq   uint32
	// Error is set for NLMSG_ERROR: 0 is a plain ack, a negative value an
	// errno, a positive value a result (hwsim's new radio id).
	Error int32
	Cmd   uint8
	Attrs map[uint16][]byte
}

var errTruncated = errors.New("truncated netlink message")

// parseMessages decodes a buffer read from a netlink socket.
func parseMessages(b []byte) ([]netlinkMsg, error) {
	var out []netlinkMsg
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		if l < nlmsgHdrLen || l > len(b) {
			return out, errTruncated
		}
		m := netlinkMsg{
			Type:  binary.NativeEndian.Uint16(b[4:6]),
			Flags: binary.NativeEndian.Uint16(b[6:8]),
			Seq:   binary.NativeEndian.Uint32(b[8:12]),
		}
		body := b[nlmsgHdrLen:l]
		switch m.Type {
		case nlmsgError:
			if len(body) < 4 {
				return out, errTruncated
			}
			m.Error = int32(binary.NativeEndian.Uint32(body[0:4]))
		case nlmsgDone:
		default:
			if len(body) < genlHdrLen {
				return out, errTruncated
			}
			m.Cmd = body[0]
			attrs, err := parseAttrs(body[genlHdrLen:])
			if err != nil {
				return out, err
			}
			m.Attrs = attrs
		}
		out = append(out, m)
		b = b[min(align4(l), len(b)):]
	}
	return out, nil
}

// parseAttrs decodes a flat attribute list (the last of a repeated type wins).
func parseAttrs(b []byte) (map[uint16][]byte, error) {
	attrs := make(map[uint16][]byte)
	for len(b) >= nlaHdrLen {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4]) & nlaTypeMask
		if l < nlaHdrLen || l > len(b) {
			return nil, errTruncated
		}
		attrs[typ] = b[nlaHdrLen:l]
		b = b[min(align4(l), len(b)):]
	}
	return attrs, nil
}

// attrName decodes a string attribute with or without its trailing NUL.
func attrName(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// radioFromMsg decodes one HWSIM_CMD_GET_RADIO answer.
func radioFromMsg(m netlinkMsg) (Radio, error) {
	id, ok := m.Attrs[AttrRadioID]
	if !ok || len(id) != 4 {
		return Radio{}, errors.New("radio without HWSIM_ATTR_RADIO_ID")
	}
	return Radio{ID: int(binary.NativeEndian.Uint32(id)), Name: attrName(m.Attrs[AttrRadioName])}, nil
}

// familyIDFromMsg decodes the controller's answer to getFamilyRequest.
func familyIDFromMsg(m netlinkMsg) (uint16, error) {
	id, ok := m.Attrs[ctrlAttrFamilyID]
	if !ok || len(id) != 2 {
		return 0, errors.New("controller answer without CTRL_ATTR_FAMILY_ID")
	}
	return binary.NativeEndian.Uint16(id), nil
}

// ackError turns a negative NLMSG_ERROR code into an errno.
func ackError(code int32) error {
	if code >= 0 {
		return nil
	}
	return syscall.Errno(-code)
}
