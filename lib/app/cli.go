// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/dhcpunit"
	"github.com/bond-hotplug/bond-hotplug/lib/version"
	"golang.org/x/sys/unix"
)

// common holds the flags every binary takes.
type common struct {
	config   string
	dryRun   bool
	insecure bool
	version  bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "c", "", "")
	fs.StringVar(&c.config, "config", "", "")
	fs.BoolVar(&c.dryRun, "n", false, "")
	fs.BoolVar(&c.dryRun, "dry-run", false, "")
	registerTestFlags(fs, &c.insecure)
	fs.BoolVar(&c.version, "version", false, "")
}

// printVersion handles --version: what the build recorded about itself, on stdout.
func (c *common) printVersion(name string) bool {
	if c.version {
		fmt.Fprint(os.Stdout, version.Get().Text(name))
	}
	return c.version
}

// parse accepts flags before and after positional arguments (bond-up bond0 -n); all
// after a standalone "--" is positional, verbatim (the --supervise command).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package calls Usage for -h/--help and after printing a bad flag's
	// error: help asked for goes to stdout (exit 0), help after an error to stderr.
	out := &wroteWriter{w: stderr}
	fs.SetOutput(out)
	fs.Usage = func() {
		if out.wrote {
			fmt.Fprint(stderr, usage)
		} else {
			fmt.Fprint(os.Stdout, usage)
		}
	}
	return fs
}

// wroteWriter remembers whether anything was written through it.
type wroteWriter struct {
	w     io.Writer
	wrote bool
}

func (w *wroteWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.w.Write(p)
}

func (c *common) env(id string) (*Env, error) {
	e := Default(id)
	e.ConfigPath = ConfigPath(c.config)
	e.DryRun = c.dryRun
	e.AllowInsecure = c.insecure
	if v := os.Getenv("BOND_HOTPLUG_LOCK_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return e, usagef("BOND_HOTPLUG_LOCK_TIMEOUT=%q: not a positive duration such as 30s", v)
		}
		e.LockTimeout = d
	}
	return e, nil
}

// signalContext ends the context on SIGINT, SIGTERM (systemd stopping a unit) and
// SIGHUP (the terminal of a run by hand went away). Each is a request to stop: a run
// stops before its next step and says what it did not apply; the DHCP supervisor
// stops its client and exits, instead of dying and leaving the client to PID 1.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, unix.SIGTERM, unix.SIGHUP)
}

// finish logs the error and returns the exit status.
func finish(e *Env, stderr io.Writer, err error) int {
	code := ExitCode(err)
	if err != nil {
		msg := err.Error()
		if e != nil && e.Log != nil {
			e.Log.Error("%s", strings.ReplaceAll(msg, "\n", "; "))
		}
		if e == nil || e.Log == nil || e.Log.Out == nil {
			fmt.Fprintf(stderr, "%s\n", msg)
		}
		if code == ExitUsage && e != nil && !e.DryRun {
			fmt.Fprintln(stderr, "nothing was changed")
		}
	}
	return code
}

func flagError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintln(stderr, "nothing was changed")
	return ExitUsage
}

const commonHelp = `
Options:
  -c, --config FILE    configuration file (default $BOND_HOTPLUG_CONFIG or
                       /etc/conf.d/network.conf)
  -n, --dry-run        print the plan and change nothing ("nothing to do" when
                       converged)
  -h, --help           this text
      --version        print the version, the VCS revision (and whether the
                       tree was dirty) and the Go version it was built with

Exit status: 0 done or nothing to do, 1 a run-time failure (a later run
completes the job), 2 bad arguments or configuration (nothing was changed).
Logs go to the journal: journalctl -t bond-up -t bond-down -t bond-hotplug
`

const upUsage = `Usage: bond-up [OPTIONS] [MASTER...]
       bond-up --status [--json] [MASTER...]

Create or repair each MASTER (default: every master in the configuration) and
everything on it: the bond (or bridge, when its name contains "br") with its
options, every configured slave that is present, wpa_supplicant on slaves that
need it, static addresses and routes, and the DHCPv4/DHCPv6 clients (which
start once the master has an active slave). What an earlier run applied and
the file no longer asks for (a slave, an address, a route, a primary, a unit)
is undone; a unit whose command line changed is restarted; what no run of ours
applied is never touched. Running it again changes nothing. Boot runs it
through bond-up@MASTER.service; after editing the file, "systemctl reload
bond-up@MASTER" runs it again. From then on hot-plug events maintain the
master, until bond-down.

  --status             show each master: kind, options, slaves and their
                       links, the active slave, addresses, units, and whether
                       anything is pending; exit 0 when every master is
                       converged with an active slave, 1 when one is
                       degraded, absent, has work pending or cannot be read,
                       2 on bad arguments or configuration
  --json               with --status: one JSON document (schema in the
                       README, /usr/share/doc/bond-hotplug)
` + commonHelp

// MainUp is bond-up.
func MainUp(args []string, stderr io.Writer) int {
	var c common
	var status, asJSON bool
	fs := newFlagSet("bond-up", upUsage, stderr)
	c.register(fs)
	fs.BoolVar(&status, "status", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if c.printVersion("bond-up") {
		return ExitOK
	}
	if asJSON && !status {
		fmt.Fprintln(stderr, "bond-up: --json goes with --status")
		return flagError(stderr, nil)
	}
	e, err := c.env("bond-up")
	if err != nil {
		return finish(e, stderr, err)
	}
	e.WaitUdev = true
	defer e.Close()
	ctx, cancel := signalContext()
	defer cancel()
	if status {
		err := e.Status(ctx, pos, asJSON)
		if errors.Is(err, errNotConverged) {
			return ExitFailure // the status printed says why
		}
		return finish(e, stderr, err)
	}
	return finish(e, stderr, e.Up(ctx, pos))
}

const downUsage = `Usage: bond-down [OPTIONS] [MASTER...]

Tear each MASTER down (default: every master in the configuration, and every
master an earlier run set up that the file no longer names, such as a renamed
one), in this order: the DHCP clients release their leases and stop, static
routes then addresses are removed, the slaves are released (and left up), the
master is deleted. wpa_supplicant keeps running on the slaves unless
--supplicants is given. A master the file no longer names loses only what runs
of ours applied, and is deleted only if one of them created it. Hot-plug
events leave a master that is down alone.

      --supplicants    also stop wpa_supplicant on the master's slaves
` + commonHelp

// MainDown is bond-down.
func MainDown(args []string, stderr io.Writer) int {
	var c common
	var supp bool
	fs := newFlagSet("bond-down", downUsage, stderr)
	c.register(fs)
	fs.BoolVar(&supp, "supplicants", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if c.printVersion("bond-down") {
		return ExitOK
	}
	e, err := c.env("bond-down")
	if err != nil {
		return finish(e, stderr, err)
	}
	defer e.Close()
	ctx, cancel := signalContext()
	defer cancel()
	return finish(e, stderr, e.Down(ctx, pos, supp))
}

const hotplugUsage = `Usage: bond-hotplug [OPTIONS] [ACTION [--] INTERFACE]
       bond-hotplug --wait-active MASTER

Run by udev (90-bond-hotplug.rules) when a slave of a master that is up is
added, removed or renamed; ACTION and INTERFACE default to udev's $ACTION and
$INTERFACE. udev runs it for no other device: bond-up and bond-down keep the
rule that names the devices of the masters that are up
(/run/udev/rules.d/89-bond-hotplug-up.rules). A device that belongs to no
configured master is ignored at once, and so is every event of a master that
is not up (bond-up has not run since boot, or bond-down ran:
bond-up@MASTER.service stopped stays stopped). On add, the master is created
if needed and converged (the device enslaved, wpa_supplicant started when it
needs one); on remove, the device's units are stopped and nothing else is
touched. It never waits for carrier, association or unit start-up, so udev is
never held up.

  --wait-active MASTER  block until MASTER has an active slave with carrier
  --supervise MASTER -- COMMAND...
                        wait as --wait-active and until MASTER's MAC has
                        settled (with fail_over_mac=active: the active
                        slave's), then run a DHCPv4 client and restart it if
                        MASTER's MAC changes before it holds a lease (the
                        main process of bond-dhcp4@MASTER.service)
  --wait-then MASTER -- COMMAND...
                        wait as --wait-active and until MASTER has an IPv6
                        link-local address a client can send from (past
                        duplicate address detection, or optimistic), then
                        run COMMAND (bond-dhcp6@MASTER)
  --release MASTER -- COMMAND...
                        run the DHCP client's release COMMAND, unless the
                        unit's client already died (the ExecStop of the DHCP
                        units: a crashed client is restarted and keeps its
                        lease); a dhcpcd COMMAND is run once more if it has
                        not finished after 2 s
  --dns-update MASTER   hand the DNS servers and search domains of a DHCP
                        lease to systemd-resolved, resolvconf or
                        /etc/resolv.conf, merged with MASTER's other lease
                        (run by the DHCP client's script, which passes the
                        lease in its environment: dhclient's enter hook
                        zz-bond-hotplug)
` + commonHelp

// dhcpUnit is the environment of the DHCP units' process (lib/dhcpunit).
func (e *Env) dhcpUnit() *dhcpunit.Env {
	return &dhcpunit.Env{Log: e.Log, Sys: e.Sys, LinkRcvBuf: testLinkRcvBuf(0)}
}

// MainHotplug is bond-hotplug.
func MainHotplug(args []string, stderr io.Writer) int {
	var c common
	var wait, supervise, waitThen, release, dnsUpdate string
	fs := newFlagSet("bond-hotplug", hotplugUsage, stderr)
	c.register(fs)
	fs.StringVar(&wait, "wait-active", "", "")
	fs.StringVar(&supervise, "supervise", "", "")
	fs.StringVar(&waitThen, "wait-then", "", "")
	fs.StringVar(&release, "release", "", "")
	fs.StringVar(&dnsUpdate, "dns-update", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if c.printVersion("bond-hotplug") {
		return ExitOK
	}
	e, err := c.env("bond-hotplug")
	if err != nil {
		return finish(e, stderr, err)
	}
	defer e.Close()
	ctx, cancel := signalContext()
	defer cancel()
	d := e.dhcpUnit()
	defer d.Close()
	if supervise != "" {
		return finish(e, stderr, d.Supervise(ctx, supervise, pos, true))
	}
	if waitThen != "" {
		return finish(e, stderr, d.Supervise(ctx, waitThen, pos, false))
	}
	if release != "" {
		return finish(e, stderr, d.Release(ctx, release, pos))
	}
	if dnsUpdate != "" {
		if len(pos) > 0 {
			return finish(e, stderr, usagef("--dns-update takes no other arguments (got %q)", pos))
		}
		return finish(e, stderr, d.DNSUpdate(dnsUpdate))
	}
	if wait != "" {
		if len(pos) > 0 {
			return finish(e, stderr, usagef("--wait-active takes no other arguments (got %q)", pos))
		}
		return finish(e, stderr, d.WaitActive(ctx, wait))
	}
	action, ifname := os.Getenv("ACTION"), os.Getenv("INTERFACE")
	switch len(pos) {
	case 0:
	case 2:
		action, ifname = pos[0], pos[1]
	default:
		return finish(e, stderr, usagef("expected ACTION and INTERFACE, got %d argument(s): %q", len(pos), pos))
	}
	return finish(e, stderr, e.Hotplug(ctx, action, ifname))
}
