// SPDX-License-Identifier: Apache-2.0

package record

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"golang.org/x/sys/unix"
)

func TestSaveLoadRemoveRoundTrip(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "state")}
	if r, err := s.Load("bond0"); r != nil || err != nil {
		t.Fatalf("Load before any Save = %v, %v; want nil, nil (and no directory created)", r, err)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("Load created %s", s.Dir)
	}
	r := &Record{Master: "bond0", Kind: "bond", Up: true, Created: true, Primary: "eth0"}
	r.AddSlave("wlan0")
	r.AddSlave("eth0")
	r.AddSlave("eth0")
	r.AddAddr(netip.MustParsePrefix("192.168.0.2/24"))
	r.AddRoute(config.Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), Via: netip.MustParseAddr("192.168.0.1"), Text: "10.0.0.0/8 via 192.168.0.1"})
	r.AddRoute(config.Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), Via: netip.MustParseAddr("192.168.0.1"), Text: "to 10.0.0.0/8 via 192.168.0.1"})
	r.SetUnit("bond-dhcp4@bond0.service", []string{"/sbin/dhclient", "bond0"})
	if err := s.Save(r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("bond0")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("loaded %+v\nsaved  %+v", got, r)
	}
	if len(got.Slaves) != 2 || got.Slaves[0] != "eth0" || len(got.Routes) != 1 {
		t.Errorf("slaves %v (want eth0 wlan0, once each), routes %v (the same route written two ways is one)", got.Slaves, got.Routes)
	}
	if ms, err := s.Masters(); err != nil || !reflect.DeepEqual(ms, []string{"bond0"}) {
		t.Errorf("Masters = %v, %v", ms, err)
	}
	ents, _ := os.ReadDir(s.Dir)
	if len(ents) != 2 {
		t.Errorf("%s holds %d files, want only bond0.json and bond0.up (no temporary file left)", s.Dir, len(ents))
	}
	if err := s.Remove("bond0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("bond0"); err != nil {
		t.Errorf("removing a record that is gone: %v", err)
	}
	if r, err := s.Load("bond0"); r != nil || err != nil {
		t.Errorf("Load after Remove = %v, %v", r, err)
	}
}

func TestUnsafeOrBadRecordsAreRefused(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := (Store{Dir: open}).Load("bond0"); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("a world-writable state directory: %v", err)
	}
	if err := (Store{Dir: open}).Save(&Record{Master: "bond0"}); err == nil {
		t.Errorf("Save into a world-writable state directory succeeded")
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	if _, err := (Store{Dir: link}).Load("bond0"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a symlinked state directory: %v", err)
	}
	s := Store{Dir: filepath.Join(dir, "state")}
	if err := s.Save(&Record{Master: "../etc"}); err == nil {
		t.Errorf("a record named ../etc was written")
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "bond1.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("bond1"); err == nil || !strings.Contains(err.Error(), "bond1.json") {
		t.Errorf("a corrupt record: %v (want an error naming the file)", err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "bond2.json"), []byte(`{"master":"bond3"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("bond2"); err == nil {
		t.Errorf("a record of bond3 in bond2.json was accepted")
	}
}

// bond-up@.service runs with UMask=0077: the state directory it made at boot was 0700,
// and an ordinary user's `bond-up -n` could not read the records ("removals are not
// shown", then "nothing to do" for a slave the file dropped).
func TestStateDirectoryIsReadableByAllWhateverTheUmask(t *testing.T) {
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	s := Store{Dir: filepath.Join(t.TempDir(), "state")}
	if err := s.Save(&Record{Master: "br0", Kind: "bridge", Up: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.Dir, filepath.Join(s.Dir, "br0.json")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o044 != 0o044 {
			t.Errorf("%s is %v under umask 077: an ordinary user cannot read it", p, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(s.Dir); err == nil && st.Mode().Perm()&0o011 != 0o011 {
		t.Errorf("%s is %v: not searchable by others", s.Dir, st.Mode().Perm())
	}
}

// Issue 19 item 8: whether a master is up survives a record that cannot be read, and
// going down removes the marker.
func TestUpMarkerSurvivesACorruptRecord(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "state")}
	if err := s.Save(&Record{Master: "br0", Kind: "bridge", Up: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "br0.json"), []byte("{cut sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("br0"); err == nil {
		t.Fatal("a corrupt record loaded")
	}
	if !s.IsUp("br0") {
		t.Fatal("a corrupt record took the master down")
	}
	if err := s.Save(&Record{Master: "br0", Kind: "bridge"}); err != nil {
		t.Fatal(err)
	}
	if s.IsUp("br0") {
		t.Fatal("a record saved down left the master up")
	}
	if r, err := s.Load("br0"); err != nil || r.Up {
		t.Fatalf("Load = %+v, %v; want down", r, err)
	}
}
