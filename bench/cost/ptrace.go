// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// peakRSS runs argv under ptrace and returns its own peak RSS in kB: VmHWM of its
// memory, read when its main thread stops at exit (PTRACE_EVENT_EXIT).
//
// Why not wait4's ru_maxrss: os/exec starts the child with vfork (CLONE_VM), so at
// execve the kernel records the high-water mark of the memory being left, which is
// this program's, into the child's ru_maxrss; the child's figure is then
// max(spawner's peak, child's peak). VmHWM belongs to the memory the child got at
// execve alone.
//
// Only the main thread is traced, and signals are passed on unchanged, so the child
// runs as it would untraced but for one stop at exec and one at exit. (Tracing every
// thread makes a Go child start extra threads while others sit in stops: 0.3-0.4 MiB
// more.) The main thread has always stopped at exit here (kernel 6.18); if it does
// not, because another thread ended the process first, the run is repeated.
func (l *lab) peakRSS(argv []string) (int64, error) {
	for try := 0; try < 5; try++ {
		kb, err := l.tracedRun(argv)
		if err != nil || kb > 0 {
			return kb, err
		}
		l.rssRetries++
	}
	return 0, wrongf("%s (traced): its main thread never stopped at exit in 5 runs: no peak RSS", argv[0])
}

// tracedRun runs argv once under ptrace; 0 kB if the exit stop was not seen.
func (l *lab) tracedRun(argv []string) (int64, error) {
	// ptrace requests must come from the thread that started the tracee.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	out, err := os.Create(l.outPath)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = l.env, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		return 0, wrongf("%s: %v", strings.Join(argv, " "), err)
	}
	// The child is reaped here with wait4, never by cmd.Wait: release the handle.
	defer cmd.Process.Release()
	pid := cmd.Process.Pid

	var ws unix.WaitStatus
	if err := wait(pid, &ws); err != nil {
		return 0, err
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return 0, wrongf("%s: expected a stop after execve, got status %#x", argv[0], uint32(ws))
	}
	if err := unix.PtraceSetOptions(pid, unix.PTRACE_O_TRACEEXIT|unix.PTRACE_O_EXITKILL); err != nil {
		return 0, wrongf("ptrace(SETOPTIONS, %d): %v", pid, err)
	}
	var peak int64
	inject := 0
	for {
		// ESRCH: the thread was killed meanwhile; its end is reported by wait4.
		if err := unix.PtraceCont(pid, inject); err != nil && !errors.Is(err, unix.ESRCH) {
			return 0, wrongf("ptrace(CONT, %d): %v", pid, err)
		}
		if err := wait(pid, &ws); err != nil {
			return 0, err
		}
		switch {
		case ws.Exited() || ws.Signaled():
			if ws.Signaled() || ws.ExitStatus() != 0 {
				return 0, wrongf("%s (traced): %s\n%s", strings.Join(argv, " "), describe(ws), l.output())
			}
			return peak, nil
		case ws.Stopped() && ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_EXIT:
			peak = vmHWM(strconv.Itoa(pid))
			inject = 0
		case ws.Stopped():
			inject = int(ws.StopSignal()) // a signal for the child: deliver it
		}
	}
}

// wait is wait4 for the traced child, retried on EINTR.
func wait(pid int, ws *unix.WaitStatus) error {
	for {
		_, err := unix.Wait4(pid, ws, unix.WALL, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return wrongf("wait4(%d): %v", pid, err)
		}
		return nil
	}
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}
