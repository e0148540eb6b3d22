// SPDX-License-Identifier: Apache-2.0

package hwsim

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNoModule means the MAC80211_HWSIM family is not registered: the module is
// not loaded (modprobe mac80211_hwsim radios=0).
var ErrNoModule = errors.New("generic netlink family " + FamilyName + " not found (modprobe mac80211_hwsim)")

// Conn is a generic netlink socket bound to the MAC80211_HWSIM family. Radios
// are created in, listed from and deleted from the caller's network namespace.
type Conn struct {
	fd     int
	family uint16
	seq    uint32
}

// Open opens a socket and resolves the family id.
func Open() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	c := &Conn{fd: fd, seq: uint32(os.Getpid()) << 8}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		c.Close()
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	// Extended acks would only add text after the error code; ask for the
	// short form so that an ack is always small.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	msgs, err := c.roundTrip(getFamilyRequest(c.next(), FamilyName))
	if errors.Is(err, unix.ENOENT) {
		c.Close()
		return nil, ErrNoModule
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("resolve family %s: %w", FamilyName, err)
	}
	for _, m := range msgs {
		if m.Type == genlIDCtrl && m.Attrs != nil {
			if c.family, err = familyIDFromMsg(m); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
	}
	c.Close()
	return nil, fmt.Errorf("resolve family %s: no answer", FamilyName)
}

// Close closes the socket.
func (c *Conn) Close() error { return unix.Close(c.fd) }

func (c *Conn) next() uint32 {
	c.seq++
	return c.seq
}

// NewRadio creates a radio and returns its id.
func (c *Conn) NewRadio(cfg RadioConfig) (int, error) {
	req, err := newRadioRequest(c.family, c.next(), cfg)
	if err != nil {
		return 0, err
	}
	_, code, err := c.exchange(req)
	if err != nil {
		return 0, fmt.Errorf("new radio: %w", err)
	}
	return int(code), nil
}

// DelRadio deletes the radio with this id (only from the namespace it is in).
func (c *Conn) DelRadio(id int) error {
	if _, _, err := c.exchange(delRadioRequest(c.family, c.next(), id)); err != nil {
		return fmt.Errorf("delete radio %d: %w", id, err)
	}
	return nil
}

// DelRadioByName deletes the radio whose wiphy has this name.
func (c *Conn) DelRadioByName(name string) error {
	if _, _, err := c.exchange(delRadioByNameRequest(c.family, c.next(), name)); err != nil {
		return fmt.Errorf("delete radio %s: %w", name, err)
	}
	return nil
}

// Radios lists the radios of the caller's namespace.
func (c *Conn) Radios() ([]Radio, error) {
	msgs, err := c.roundTrip(dumpRadiosRequest(c.family, c.next()))
	if err != nil {
		return nil, fmt.Errorf("list radios: %w", err)
	}
	var out []Radio
	for _, m := range msgs {
		if m.Type != c.family {
			continue
		}
		r, err := radioFromMsg(m)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// exchange sends a request that is answered by an acknowledgement only and
// returns the ack's non-negative code (hwsim puts the new radio id there).
func (c *Conn) exchange(req []byte) ([]netlinkMsg, int32, error) {
	seq := seqOf(req)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, 0, err
	}
	var got []netlinkMsg
	for {
		msgs, err := c.receive()
		if err != nil {
			return got, 0, err
		}
		for _, m := range msgs {
			if m.Seq != seq {
				continue
			}
			if m.Type == nlmsgError {
				return got, max(m.Error, 0), ackError(m.Error)
			}
			got = append(got, m)
		}
	}
}

// roundTrip sends a request and collects answers up to NLMSG_DONE or the ack.
func (c *Conn) roundTrip(req []byte) ([]netlinkMsg, error) {
	seq := seqOf(req)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var got []netlinkMsg
	for {
		msgs, err := c.receive()
		if err != nil {
			return got, err
		}
		for _, m := range msgs {
			if m.Seq != seq {
				continue
			}
			switch m.Type {
			case nlmsgError:
				return got, ackError(m.Error)
			case nlmsgDone:
				return got, nil
			}
			got = append(got, m)
		}
	}
}

func (c *Conn) receive() ([]netlinkMsg, error) {
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return parseMessages(buf[:n])
	}
}

func seqOf(req []byte) uint32 {
	m, err := parseMessages(req)
	if err != nil || len(m) == 0 {
		return 0
	}
	return m[0].Seq
}
