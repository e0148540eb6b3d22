// SPDX-License-Identifier: Apache-2.0

package app

import (
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/coexist"
	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/plan"
)

// claims lists what NetworkManager or systemd-networkd manage among master m and its
// configured slaves present in st, from their runtime state.
func (e *Env) claims(c *config.Config, m string, st plan.State) []coexist.Claim {
	if e.Coexist == nil {
		e.Coexist = &coexist.Detector{}
	}
	var out []coexist.Claim
	for _, l := range st.Links.Links {
		if l.Name == m || c.SlaveOf(l.Name, m) {
			out = append(out, e.Coexist.Claims(l.Name, l.Index)...)
		}
	}
	return out
}

// warnClaims says, once per run and master, in the journal, that another manager
// manages devices we configure.
func (e *Env) warnClaims(c *config.Config, m string, st plan.State) {
	if e.warned[m] {
		return
	}
	if e.warned == nil {
		e.warned = map[string]bool{}
	}
	e.warned[m] = true
	for _, cl := range e.claims(c, m, st) {
		e.Log.Warn("%s: %s too: the two will fight over it; see README, \"Living with NetworkManager and networkd\"", m, cl)
	}
}

func claimsLine(cls []coexist.Claim) string {
	var s []string
	for _, c := range cls {
		s = append(s, c.String())
	}
	if len(s) == 0 {
		return "none (neither NetworkManager nor systemd-networkd manages these devices)"
	}
	return strings.Join(s, "; ")
}
