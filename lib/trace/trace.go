// SPDX-License-Identifier: Apache-2.0

// Package trace owns the phase stamps of a run, for finding where a hot-plug's time
// goes in the VM lab (issue 20): a build with -tags bondhotplug_trace stamps each phase
// with the monotonic clock (the journal's and /proc/uptime's) and writes them as one
// journal line at the end of the run; every other build compiles Mark to nothing.
package trace
