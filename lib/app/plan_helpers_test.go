// SPDX-License-Identifier: Apache-2.0

package app

import (
	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/plan"
)

func planUp(c *config.Config, m *config.Master, e *Env, st plan.State) (plan.Plan, error) {
	return plan.Up(plan.Input{Config: c, Master: m, Programs: e.programs()}, st)
}
