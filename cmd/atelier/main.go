// Command atelier is the one binary of the product: the service, its workers
// and the offline tools (synthetic world, import, training, evaluation,
// redesign), each a subcommand. It only parses arguments and wires packages
// together; the work is done in the packages it imports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/atelier-app/atelier/internal/nn"
)

// env is what a subcommand gets from the process, passed explicitly so that
// tests can run commands in-process with their own arguments and streams.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. Commands with sub-subcommands (train, eval,
// watermark) dispatch again on their first argument.
type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands lists every subcommand, one file each (cmd_<name>.go).
func commands() map[string]command {
	return map[string]command{
		"backgrounds": {"describe a product photo and show it on the built-in background scenes that suit it", runBackgrounds},
		"demo":        {"generate, import and serve the demo world on the embedded defaults", runDemo},
		"eval":        {"evaluate models (eval recommender|gan)", runEval},
		"import":      {"load a dataset directory (synth CSV layout or Amazon reviews) into the database and blob store", runImport},
		"oracle":      {"score images with the synthetic world's true tastes (evaluation only)", runOracle},
		"redesign":    {"variants of a product photo that a segment would prefer (or new designs without a photo)", runRedesign},
		"report":      {"rank a seller's items for each segment and write the report as HTML, CSV or JSON", runReport},
		"sample":      {"draw a grid of generated images from a trained GAN", runSample},
		"serve":       {"run the HTTP service (and job workers)", runServe},
		"synth":       {"generate the synthetic fashion world (catalog, consumers, interactions)", runSynth},
		"train":       {"train models (train recommender|gan|encoder|prior)", runTrain},
		"version":     {"print the version", runVersion},
		"watermark":   {"check or add the AI-generated marks (watermark verify|embed)", runWatermark},
		"worker":      {"run job workers (training, redesigns, imports, reports)", runWorker},
	}
}

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := nn.Configure(os.Getenv) // ATELIER_THREADS, ATELIER_NN_BACKEND
	stopProfile := func() {}
	if err == nil {
		stopProfile, err = startCPUProfile(os.Getenv("ATELIER_CPU_PROFILE"))
	}
	if err == nil {
		err = run(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
		stopProfile()
	}
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// startCPUProfile writes a CPU profile of the whole command to path (for
// `go tool pprof`) when path is set: ATELIER_CPU_PROFILE=FILE, for
// performance work on any subcommand, the service included (it stops on
// SIGINT/SIGTERM and the profile is written then).
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("ATELIER_CPU_PROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("ATELIER_CPU_PROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// exitCode prints err as one line and returns the process exit status.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintln(stderr, "atelier: "+msg)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run dispatches args[0] to its subcommand.
func run(ctx context.Context, args []string, e env) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(e.stdout, cmds)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return usagef("unknown command %q (run 'atelier help')", args[0])
	}
	return c.run(ctx, e, args[1:])
}

func printUsage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: atelier COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("atelier "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors; positional
// arguments are refused unless allowArgs.
func parseFlags(fs *flag.FlagSet, args []string, allowArgs bool) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if !allowArgs && fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// givenFlags returns the names of the flags given on the command line, for
// flags whose default must not override a stored or exclusive setting.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// subcommands dispatches a command group such as "train recommender".
func subcommands(ctx context.Context, e env, group string, args []string, subs map[string]command) error {
	if len(args) == 0 {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		return usagef("%s: want one of: %s", group, strings.Join(names, ", "))
	}
	c, ok := subs[args[0]]
	if !ok {
		return usagef("%s: unknown target %q", group, args[0])
	}
	return c.run(ctx, e, args[1:])
}

var version = "dev" // set with -ldflags "-X main.version=..."

func runVersion(_ context.Context, e env, args []string) error {
	if len(args) > 0 {
		return usagef("version: takes no arguments")
	}
	fmt.Fprintln(e.stdout, "atelier", version)
	return nil
}
