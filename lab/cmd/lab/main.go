// SPDX-License-Identifier: Apache-2.0

// Command lab runs the VM lab by hand (lab/run.sh and lab/demo.sh call it).
//
//	lab run [-no-product] [SCENARIO...]   play scenarios (default: all NN-*), print results
//	lab demo                              play the laptop story with a live timeline
//	lab image                             build or reuse the cached guest image
//
// Run from the repository root, as root. Exit status: 0 all passed, 1 a
// scenario failed or the lab could not run, 2 usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lab"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	noProduct := fs.Bool("no-product", false, "boot the bare image (harness self-test, no bond-hotplug)")
	timeout := fs.Duration("timeout", 4*time.Minute, "bound of one scenario boot")
	repo := fs.String("repo", ".", "repository root")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: lab [-no-product] [-timeout D] run [SCENARIO...] | demo | image")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	root, err := filepath.Abs(*repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := lab.CheckHost(); err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return 1
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "image":
		l := lab.New(lab.Config{Repo: root, Log: os.Stderr})
		if err := l.EnsureImage(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "lab:", err)
			return 1
		}
		return 0
	case "run", "demo":
	default:
		fs.Usage()
		return 2
	}
	runDir, err := lab.NewRunDir(lab.DefaultRunRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return 1
	}
	l := lab.New(lab.Config{Repo: root, RunDir: runDir, Log: os.Stderr})
	if err := l.Prepare(ctx, !*noProduct); err != nil {
		fmt.Fprintf(os.Stderr, "lab: %v\nlab: files of this run are in %s\n", err, runDir)
		return 1
	}
	if cmd == "demo" {
		return demo(ctx, l, *timeout)
	}
	names := rest
	if len(names) == 0 {
		if names, err = lab.Scenarios(root); err != nil {
			fmt.Fprintln(os.Stderr, "lab:", err)
			return 1
		}
	}
	failed := 0
	var summary []string
	for _, name := range names {
		name = strings.TrimSuffix(filepath.Base(name), ".sh")
		fmt.Printf("=== %s\n", name)
		res, err := l.Run(ctx, name, lab.RunOptions{Timeout: *timeout})
		for _, c := range res.Checks {
			fmt.Printf("    %s\n", c)
		}
		verdict := "PASS"
		if err != nil || res.Failed() {
			verdict = "FAIL"
			failed++
			if err != nil {
				fmt.Printf("    error: %v\n", err)
			}
			fmt.Printf("    kept: %s\n", res.Where())
		}
		line := fmt.Sprintf("%s %s (%.1f s)", verdict, name, res.Wall.Seconds())
		fmt.Println(line)
		summary = append(summary, line)
	}
	fmt.Println("=== summary")
	for _, s := range summary {
		fmt.Println(s)
	}
	fmt.Printf("%d passed, %d failed; files in %s\n", len(names)-failed, failed, runDir)
	if failed > 0 {
		return 1
	}
	return 0
}

func demo(ctx context.Context, l *lab.Lab, timeout time.Duration) int {
	fmt.Println("Booting the lab VM (Debian kernel under qemu; nothing touches this machine's network)...")
	res, err := l.Run(ctx, "demo", lab.RunOptions{Timeout: timeout, Live: os.Stdout})
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\ndemo: %s\n", err, res.Where())
		return 1
	}
	if res.Failed() {
		fmt.Fprintf(os.Stderr, "demo: something did not go as told:\n  %s\ndemo: %s\n",
			strings.Join(res.Failures(), "\n  "), res.Where())
		return 1
	}
	fmt.Printf("\nDemo done in %.0f s (VM boot included). Guest logs: %s\n", res.Wall.Seconds(), res.Dir)
	return 0
}
