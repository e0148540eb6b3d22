// SPDX-License-Identifier: Apache-2.0

package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/plan"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
	"github.com/bond-hotplug/bond-hotplug/lib/version"
)

// StatusSchema is the version of the `bond-up --status --json` document. Adding a
// field keeps it; renaming, removing or changing the meaning of one raises it. The
// schema is documented in README.md ("Status for scripts and status bars") and pinned
// by the golden files in testdata/status-*.json.
const StatusSchema = 1

// StatusDoc is the whole document: one per call, every selected master in it.
type StatusDoc struct {
	Schema  int            `json:"schema"`
	Version StatusVersion  `json:"version"`
	Masters []MasterStatus `json:"masters"`
}

// StatusVersion is the build that answered (lib/version).
type StatusVersion struct {
	Module   string `json:"module"`
	Revision string `json:"revision"`
	Modified bool   `json:"modified"`
	Go       string `json:"go"`
	Package  string `json:"package"`
}

// MasterStatus is one master. State is the summary a status bar shows:
//
//	"converged": nothing pending and traffic has a way out (a bond's active slave, or
//	             a bridge port with carrier);
//	"degraded":  nothing pending, but no active slave (every card out or unplugged);
//	"pending":   a run of bond-up would still change something (Pending lists it);
//	"absent":    the master does not exist (a run would create it);
//	"failed":    a unit of ours failed (Units[].result and last_line say which and
//	             why, e.g. a program its sandbox refused something);
//	"unknown":   the unit states or the plan could not be read (Error says why).
type MasterStatus struct {
	Name       string         `json:"name"`
	Kind       string         `json:"kind"` // configured: "bond" or "bridge"
	State      string         `json:"state"`
	Admin      string         `json:"admin"` // up: bond-up ran, hot-plug maintains it; down: bond-down ran (or never up), hot-plug leaves it alone; unknown
	Present    bool           `json:"present"`
	Up         bool           `json:"up"`
	Carrier    bool           `json:"carrier"`
	MAC        string         `json:"mac"`
	Options    *StatusOptions `json:"options"`      // null for a bridge or an absent master
	Active     string         `json:"active_slave"` // "" when none (a bridge: its first port with carrier)
	Configured []string       `json:"configured_slaves"`
	Slaves     []SlaveStatus  `json:"slaves"`
	Addresses  []AddrStatus   `json:"addresses"`
	Leases     []AddrStatus   `json:"leases"` // the dynamic addresses (DHCP, SLAAC)
	Gateways   []RouteStatus  `json:"gateways"`
	Units      []UnitStatus   `json:"units"`
	UnitsError string         `json:"units_error,omitempty"`
	Pending    []string       `json:"pending"` // the plan's actions, as `bond-up -n` prints them
	Error      string         `json:"error,omitempty"`
	// linkKind is the kind of the device of that name (the text shows it: a foreign
	// device where a bond is configured).
	linkKind string
}

// StatusOptions are the bonding driver's options as it reports them.
type StatusOptions struct {
	Mode            string `json:"mode"`
	Miimon          int    `json:"miimon"`
	FailOverMAC     string `json:"fail_over_mac"`
	Primary         string `json:"primary"`
	PrimaryReselect string `json:"primary_reselect"`
	Updelay         int    `json:"updelay"`
	Downdelay       int    `json:"downdelay"`
}

// SlaveStatus is a configured slave that is present, or a device enslaved to the master.
type SlaveStatus struct {
	Name     string `json:"name"`
	Enslaved bool   `json:"enslaved"` // to this master
	Master   string `json:"master"`   // what it is enslaved to ("" none)
	Up       bool   `json:"up"`
	Carrier  bool   `json:"carrier"` // link: cable in, or associated
	Active   bool   `json:"active"`
	Wireless bool   `json:"wireless"`
	MAC      string `json:"mac"`
}

// AddrStatus is an address of the master.
type AddrStatus struct {
	Address string `json:"address"` // with prefix length
	Family  string `json:"family"`  // "inet" or "inet6"
	Dynamic bool   `json:"dynamic"` // has a lifetime: from DHCP or SLAAC
}

// RouteStatus is a route through a gateway on the master.
type RouteStatus struct {
	Dst    string `json:"dst"`
	Via    string `json:"via"`
	Metric int    `json:"metric"`
	Table  int    `json:"table"`
}

// UnitStatus is one unit of ours for the master or one of its slaves.
type UnitStatus struct {
	Name      string `json:"name"`
	Role      string `json:"role"` // bond-wpa, bond-dhcp4, bond-dhcp6
	Interface string `json:"interface"`
	Active    string `json:"active"` // systemd's ActiveState ("" not loaded)
	Sub       string `json:"sub"`
	Job       string `json:"job,omitempty"`
	// Result and LastLine, when its last run failed (state "failed"): systemd's
	// result ("exit-code", "start-limit-hit", ...) and the last line its program
	// logged. A failed unit systemd no longer holds has Active "".
	Result   string `json:"result,omitempty"`
	LastLine string `json:"last_line,omitempty"`
	// held: systemd holds the unit (the text lists it under "units").
	held bool
}

// errNotConverged makes --status exit 1 without a message: the status printed says why.
var errNotConverged = errors.New("not converged")

func family(is4 bool) string {
	if is4 {
		return "inet"
	}
	return "inet6"
}

// masterStatus builds the document's entry for m from the state read and the plan
// (p, perr: what a run would do).
func masterStatus(c *config.Config, m *config.Master, st plan.State, uerr error, p plan.Plan, perr error) MasterStatus {
	ms := MasterStatus{Name: m.Name, Kind: string(m.Kind), Configured: append([]string{}, m.Slaves...),
		Slaves: []SlaveStatus{}, Addresses: []AddrStatus{}, Leases: []AddrStatus{}, Gateways: []RouteStatus{},
		Units: []UnitStatus{}, Pending: []string{}}
	l, ok := st.Links.Get(m.Name)
	if ok {
		ms.Present, ms.Up, ms.Carrier, ms.MAC, ms.linkKind = true, l.AdminUp, l.Carrier, l.MAC, l.Kind
	}
	if b := st.Bond; b != nil {
		ms.Options = &StatusOptions{Mode: b.Mode, Miimon: b.Miimon, FailOverMAC: b.FailOverMAC, Primary: b.Primary,
			PrimaryReselect: b.PrimaryReselect, Updelay: b.Updelay, Downdelay: b.Downdelay}
		ms.Active = b.ActiveSlave
	}
	for _, s := range st.Links.Links {
		if s.Name == m.Name || s.Master != m.Name && !c.SlaveOf(s.Name, m.Name) {
			continue
		}
		ss := SlaveStatus{Name: s.Name, Enslaved: s.Master == m.Name, Master: s.Master, Up: s.AdminUp,
			Carrier: s.Carrier, Wireless: s.Wireless, MAC: s.MAC}
		if st.Bond == nil && ss.Enslaved && ss.Up && ss.Carrier && ms.Active == "" {
			ms.Active = s.Name // a bridge forwards over every port: the first that carries
		}
		ms.Slaves = append(ms.Slaves, ss)
	}
	for i := range ms.Slaves {
		ms.Slaves[i].Active = ms.Slaves[i].Name == ms.Active && ms.Active != ""
	}
	for _, a := range st.Addrs {
		as := AddrStatus{Address: a.Prefix.String(), Family: family(a.Prefix.Addr().Is4()), Dynamic: a.Dynamic}
		ms.Addresses = append(ms.Addresses, as)
		if a.Dynamic {
			ms.Leases = append(ms.Leases, as)
		}
	}
	for _, r := range st.Routes {
		if r.Via.IsValid() {
			ms.Gateways = append(ms.Gateways, RouteStatus{Dst: r.Dst.String(), Via: r.Via.String(), Metric: r.Metric, Table: r.Table})
		}
	}
	if uerr != nil {
		ms.UnitsError = uerr.Error()
	} else {
		for name, u := range st.Units {
			role, ifname, ok := units.Parse(name)
			if ok && (ifname == m.Name || c.SlaveOf(ifname, m.Name)) {
				ms.Units = append(ms.Units, UnitStatus{Name: name, Role: string(role), Interface: ifname,
					Active: u.Active, Sub: u.Sub, Job: u.Job, held: true})
			}
		}
		sort.Slice(ms.Units, func(i, j int) bool { return ms.Units[i].Name < ms.Units[j].Name })
	}
	if perr != nil {
		ms.Error = fmt.Sprintf("cannot plan: %v", perr)
	} else {
		for _, a := range p.Actions {
			ms.Pending = append(ms.Pending, a.String())
		}
	}
	switch {
	case perr != nil || uerr != nil:
		ms.State = "unknown"
	case !ms.Present:
		ms.State = "absent"
	case len(ms.Pending) > 0:
		ms.State = "pending"
	case ms.Active == "":
		ms.State = "degraded"
	default:
		ms.State = "converged"
	}
	return ms
}

// converged is the --status exit rule: 0 only when every master is converged.
func converged(ms []MasterStatus) bool {
	for _, m := range ms {
		if m.State != "converged" {
			return false
		}
	}
	return true
}

func statusVersion() StatusVersion {
	v := version.Get()
	return StatusVersion{Module: v.Module, Revision: v.Revision, Modified: v.Modified, Go: v.Go, Package: v.Package}
}

func writeStatusJSON(w io.Writer, doc StatusDoc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}
