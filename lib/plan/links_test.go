// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"errors"
	"testing"
)

// sameLinksWithoutUnits checks what a run that applies the kernel steps first relies
// on (LinksFirst): the plan made before the unit list is read has the same kernel
// steps, in the same order, as the plan made with it. The golden cases call it with
// their own state.
func sameLinksWithoutUnits(t *testing.T, in Input, st State, p Plan) {
	t.Helper()
	st.Units, st.UnitsErr = nil, errors.New("not read yet")
	early, err := Up(in, st)
	if err != nil {
		t.Fatalf("Up without the unit list: %v", err)
	}
	if got, want := early.Links().String(), p.Links().String(); got != want {
		t.Errorf("kernel steps planned without the unit list differ from the plan's\n--- without\n%s--- with\n%s", got, want)
	}
	for _, a := range early.Links().Actions {
		if a.IsUnit() {
			t.Errorf("Links keeps the unit step %q", a)
		}
	}
}

func TestLinksFirstWaitsForAStopOfASupplicantWhoseCardNoMasterClaims(t *testing.T) {
	dropped := input(t, "bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0'\n", "bond0")
	if LinksFirst(dropped, owned(t).Owned) {
		t.Errorf("wlp2s0 left the file: its supplicant is stopped before it is released, so the kernel steps cannot go first")
	}
	moved := input(t, "bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0'\nbr0SLAVES='wlp2s0'\n", "bond0")
	if !LinksFirst(moved, owned(t).Owned) {
		t.Errorf("wlp2s0 moved to br0 keeps its supplicant: nothing is stopped first")
	}
	if !LinksFirst(input(t, laptopConf, "bond0"), owned(t).Owned) || !LinksFirst(input(t, laptopConf, "bond0"), nil) {
		t.Errorf("the laptop's own configuration stops no supplicant first")
	}
}
