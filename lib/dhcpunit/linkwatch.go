// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/vishvananda/netlink"
)

// linkRcvBuf is the receive buffer asked for the link subscription. A burst of link
// events (a dock with many ports, hundreds of containers' veths) can overflow the
// default one; the kernel then drops messages and the next receive fails with ENOBUFS.
const linkRcvBuf = 4 << 20

// A resync is an update with no Link: notifications may have been lost, so whoever
// reads the channel must read the state again instead of relying on the update.
func isResync(u netlink.LinkUpdate) bool { return u.Link == nil }

// linkWatch is a link subscription that outlives the library's: netlink's
// LinkSubscribe closes its channel, without a word, when a receive fails (ENOBUFS in
// a burst). A reader of a closed channel spins at 100 % CPU (a select that is always
// ready) or reads an empty update (a nil Link: Attrs() panics). linkWatch relays the
// updates, subscribes again when the library's channel closes, and then sends a
// resync, because the events in between are lost.
type linkWatch struct {
	C    <-chan netlink.LinkUpdate
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// sub is one library subscription; in closes on a receive error, after last got it.
type sub struct {
	in   chan netlink.LinkUpdate
	done chan struct{}
	mu   sync.Mutex
	last error
}

func (s *sub) why() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return errors.New("channel closed")
	}
	return s.last
}

func subscribeOnce(rcvbuf int) (*sub, error) {
	s := &sub{in: make(chan netlink.LinkUpdate, 256), done: make(chan struct{})}
	onErr := func(err error) {
		s.mu.Lock()
		s.last = err
		s.mu.Unlock()
	}
	opts := netlink.LinkSubscribeOptions{ErrorCallback: onErr, ReceiveBufferSize: rcvbuf, ReceiveBufferForceSize: true}
	err := netlink.LinkSubscribeWithOptions(s.in, s.done, opts)
	if err != nil {
		// SO_RCVBUFFORCE needs CAP_NET_ADMIN (a user's --wait-active): take what
		// net.core.rmem_max allows.
		opts.ReceiveBufferForceSize = false
		err = netlink.LinkSubscribeWithOptions(s.in, s.done, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("subscribe to link changes: %w", err)
	}
	return s, nil
}

// watchLinks subscribes to link changes. Subscribe before the first check of the
// state, so that no change between check and wait is lost.
func watchLinks(log *logx.Logger, rcvbuf int) (*linkWatch, error) {
	s, err := subscribeOnce(rcvbuf)
	if err != nil {
		return nil, err
	}
	out := make(chan netlink.LinkUpdate, 64)
	w := &linkWatch{C: out, stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.relay(log, rcvbuf, s, out)
	}()
	return w, nil
}

// relay forwards updates from the library's channel without ever blocking on the
// reader (a reader busy re-reading the state must not leave the socket unread, which
// is how it overflows): when out is full, the update is dropped and a resync owed.
func (w *linkWatch) relay(log *logx.Logger, rcvbuf int, s *sub, out chan<- netlink.LinkUpdate) {
	owed := false
	for {
		var send chan<- netlink.LinkUpdate
		if owed {
			send = out
		}
		select {
		case <-w.stop:
			close(s.done)
			// The library goroutine may be blocked sending to in: let it finish.
			for range s.in {
			}
			return
		case send <- netlink.LinkUpdate{}:
			owed = false
		case u, ok := <-s.in:
			if ok {
				select {
				case out <- u:
				default:
					owed = true
				}
				continue
			}
			why := s.why()
			close(s.done)
			retry := 10 * time.Millisecond
			for {
				var err error
				if s, err = subscribeOnce(rcvbuf); err == nil {
					break
				}
				log.Warn("link notifications stopped (%v); subscribing again failed: %v", why, err)
				select {
				case <-w.stop:
					return
				case <-time.After(retry):
				}
				if retry < time.Second {
					retry *= 2
				}
			}
			log.Warn("link notifications lost (%v): subscribed again, re-reading the state", why)
			owed = true
		}
	}
}

// drain discards the updates already queued: a reader that reads the whole state
// again on any update needs one read for all of them, not one each (a burst of a
// thousand events would otherwise cost a thousand reads of a thousand links).
func drain(c <-chan netlink.LinkUpdate) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// Stop ends the subscription; safe to call more than once.
func (w *linkWatch) Stop() {
	w.once.Do(func() {
		close(w.stop)
		w.wg.Wait()
	})
}
