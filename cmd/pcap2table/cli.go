package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/internal/hugepage"
	"github.com/pcap2table/pcap2table/writers"
	"golang.org/x/term"
)

// exitCode is the process exit status. These values are documented in
// README.md and docs/errors.md.
type exitCode int

const (
	exitOK          exitCode = 0
	exitError       exitCode = 1   // the conversion failed; no output file is left
	exitUsage       exitCode = 2   // bad flags or arguments
	exitPartial     exitCode = 3   // an input was cut short or corrupt; everything before it was converted
	exitInterrupted exitCode = 130 // SIGINT/SIGTERM: outputs are valid and hold what was converted
)

// env is what the commands see of the process, swappable in tests.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether a writer is a terminal.
	isTerminal func(any) bool
}

func osEnv() *env {
	return &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: func(w any) bool {
		f, ok := w.(*os.File)
		return ok && term.IsTerminal(int(f.Fd()))
	}}
}

// Main runs the tool with args and returns the exit code.
func Main(args []string) exitCode {
	// The first SIGINT or SIGTERM stops the run, which finishes its
	// outputs (exit 130); a second one stops it at once and removes the
	// temporary outputs (exit 130 too: nothing is left). Caught first,
	// so that one that comes while the run starts is handled too.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	// Huge pages: 13-17 % off a run here (see internal/hugepage); a
	// failure only costs that.
	hugepage.Advise(hugepage.DefaultReserve) //nolint:errcheck
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-sig
		interrupted(os.Stderr)
		cancel()
		<-sig
		writers.RemoveTemporaries()
		fmt.Fprintln(os.Stderr, "pcap2table: interrupted again: stopped at once, temporary outputs removed")
		os.Exit(int(exitInterrupted))
	}()
	return run(ctx, osEnv(), args)
}

// interrupted says that the run was interrupted, on a line of its own.
func interrupted(w io.Writer) {
	if barShown.Load() {
		fmt.Fprintln(w) // off the progress bar's line
	}
	fmt.Fprintln(w, "pcap2table: interrupted: finishing the outputs (interrupt again to stop at once and keep nothing)")
}

type usageErr struct{ error }

func run(ctx context.Context, e *env, args []string) exitCode {
	root := newRoot(e)
	root.AddCommand(newHTMLReportCmd(e), newExtractCmd(e), newWatchCmd(e))
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ue *pcap2table.UsageError
	var ce codeErr
	switch {
	case errors.As(err, &ce):
		if ce.msg != "" {
			fmt.Fprintln(e.stderr, ce.msg)
		}
		return ce.code
	case errors.As(err, &ue), errors.As(err, new(usageErr)):
		fmt.Fprintln(e.stderr, oneLine(err))
		fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintln(e.stderr, oneLine(err))
	return exitError
}

// codeErr carries an exit code and a message already formatted.
type codeErr struct {
	code exitCode
	msg  string
}

func (c codeErr) Error() string { return c.msg }

// oneLine is an error as the one line the tool prints.
func oneLine(err error) string {
	return "pcap2table: " + strings.ReplaceAll(err.Error(), "\n", "; ")
}
