// SPDX-License-Identifier: Apache-2.0

package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// Suspend to RAM (issue 17.5): a scenario with "# lab-suspend: SECONDS" boots with
// S3 enabled on the PIIX4 power management device (QEMU leaves it off by default)
// and a QMP socket; when the guest suspends (`systemctl suspend`: QMP's SUSPEND
// event), the host waits SECONDS and wakes it with system_wakeup, as a lid opened
// later would. Each wake-up is noted in share/out/wakeups.log.

var suspendHeader = regexp.MustCompile(`(?m)^# lab-suspend: *([0-9]+)$`)

// suspendDelay is a scenario's "# lab-suspend: SECONDS" (0: none).
func (l *Lab) suspendDelay(scenario string) time.Duration {
	b, err := os.ReadFile(filepath.Join(l.cfg.Repo, "lab", "scenarios", scenario+".sh"))
	if err != nil {
		return 0
	}
	m := suspendHeader.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return time.Duration(n) * time.Second
}

// suspendArgs are qemu's arguments for a guest that may suspend, with QMP at sock;
// the firmware's debug port (SeaBIOS prints its resume path there) goes to fwlog.
func suspendArgs(sock, fwlog string) []string {
	return []string{"-global", "PIIX4_PM.disable_s3=0", "-qmp", "unix:" + sock + ",server=on,wait=off",
		"-chardev", "file,id=fwlog,path=" + fwlog, "-device", "isa-debugcon,iobase=0x402,chardev=fwlog"}
}

// wakeOnSuspend connects to the QMP socket (retrying while qemu starts) and answers
// each SUSPEND event with system_wakeup after delay, until ctx ends.
func wakeOnSuspend(ctx context.Context, sock string, delay time.Duration, logPath string) {
	var conn net.Conn
	for conn == nil {
		c, err := net.Dial("unix", sock)
		if err == nil {
			conn = c
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer conn.Close()
	go func() { <-ctx.Done(); conn.Close() }()
	logf := func(format string, args ...any) {
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
			f.Close()
		}
	}
	enc := json.NewEncoder(conn)
	if err := enc.Encode(map[string]string{"execute": "qmp_capabilities"}); err != nil {
		logf("qmp: %v", err)
		return
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var msg struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil || msg.Event != "SUSPEND" {
			if msg.Event != "" {
				logf("event %s", msg.Event)
			}
			continue
		}
		logf("guest suspended; waking it in %v", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if err := enc.Encode(map[string]string{"execute": "system_wakeup"}); err != nil {
			logf("system_wakeup: %v", err)
			return
		}
		logf("system_wakeup sent")
	}
}
