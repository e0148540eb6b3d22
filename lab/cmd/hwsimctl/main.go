// SPDX-License-Identifier: Apache-2.0

// Command hwsimctl plugs and pulls simulated Wi-Fi cards (mac80211_hwsim
// radios) in the current network namespace, for the VM lab.
//
//	hwsimctl new [--name NAME] [--custom-reg] [--reg-index N] [--no-vif] [--channels N] [--perm-addr MAC]
//	    prints the new radio's id
//	hwsimctl del ID|NAME
//	hwsimctl list
//	    prints "ID NAME" per radio of this namespace
//
// Exit status: 0 done, 1 kernel refused or module missing, 2 usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/bond-hotplug/bond-hotplug/lab/hwsim"
)

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "hwsimctl:", err)
		fmt.Fprintln(os.Stderr, "usage: hwsimctl new [--name NAME] [--custom-reg] [--reg-index N] [--no-vif] [--channels N] [--perm-addr MAC] | del ID|NAME | list")
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "hwsimctl:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"missing command"}
	}
	switch args[0] {
	case "new":
		fs := flag.NewFlagSet("new", flag.ContinueOnError)
		fs.SetOutput(stderr)
		name := fs.String("name", "", "wiphy name (default: the kernel's phyN)")
		custom := fs.Bool("custom-reg", false, "use hwsim's custom regulatory domain (few channels: fast scans)")
		regIndex := fs.Uint("reg-index", 0, "index of the custom regulatory domain")
		noVIF := fs.Bool("no-vif", false, "create no wlanN interface")
		channels := fs.Uint("channels", 0, "concurrent channels (default: the kernel's)")
		// The card pulled and inserted again (the soak): a real card keeps its MAC,
		// and a DHCP server that tells clients apart by MAC must see the same one.
		permAddr := fs.String("perm-addr", "", "the radio's permanent MAC (default: the kernel's, new for each radio)")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		if fs.NArg() != 0 {
			return usageError{"new takes no arguments"}
		}
		var perm net.HardwareAddr
		if *permAddr != "" {
			var err error
			if perm, err = net.ParseMAC(*permAddr); err != nil || len(perm) != 6 {
				return usageError{fmt.Sprintf("--perm-addr %q: want a 6-byte MAC such as 02:00:00:00:01:00", *permAddr)}
			}
		}
		c, err := hwsim.Open()
		if err != nil {
			return err
		}
		defer c.Close()
		id, err := c.NewRadio(hwsim.RadioConfig{
			Name: *name, UseCustomReg: *custom, CustomReg: uint32(*regIndex),
			NoVIF: *noVIF, Channels: uint32(*channels), PermAddr: perm,
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, id)
		return nil
	case "del":
		if len(args) != 2 {
			return usageError{"del takes one radio id or name"}
		}
		c, err := hwsim.Open()
		if err != nil {
			return err
		}
		defer c.Close()
		if id, err := strconv.Atoi(args[1]); err == nil {
			return c.DelRadio(id)
		}
		return c.DelRadioByName(args[1])
	case "list":
		if len(args) != 1 {
			return usageError{"list takes no arguments"}
		}
		c, err := hwsim.Open()
		if err != nil {
			return err
		}
		defer c.Close()
		radios, err := c.Radios()
		if err != nil {
			return err
		}
		for _, r := range radios {
			fmt.Fprintln(stdout, r)
		}
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
