package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// freePort is a loopback port nobody listens on, below the kernel's
// ephemeral range (32768 and up), where it cannot be some outgoing
// connection's local port (see scripts/with-servers.sh).
func freePort() int {
	for {
		p := 20000 + rand.IntN(12000)
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), 200*time.Millisecond)
		if err != nil {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err == nil {
				l.Close()
				return p
			}
			continue
		}
		c.Close()
	}
}

// proc is a child process with its output in a log file. Each runs in its
// own process group so that stop ends it and whatever it started.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func start(name, dir, logPath string, env []string, argv ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	return p, nil
}

// stop ends the process (SIGTERM, then SIGKILL after 5 s) and waits.
func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// kill ends the process at once, as a crash would.
func (p *proc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (p *proc) exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}

// waitHTTP waits until url answers 2xx, the process exits, or timeout.
func waitHTTP(p *proc, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited; see %s", p.name, p.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer in %s", url, timeout)
}

// postgres is a throw-away PostgreSQL cluster in a temporary directory on
// a free loopback port with trust authentication, run as the postgres
// user when this program runs as root (initdb refuses root).
type postgres struct {
	dir, bin string
	port     int
	asUser   string
}

// pgBin is the folder of PostgreSQL's programs: $PG_BIN, or the newest
// Debian-style install.
func pgBin() string {
	if b := os.Getenv("PG_BIN"); b != "" {
		return b
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(dirs) == 0 {
		return "/usr/lib/postgresql/15/bin"
	}
	slices.SortFunc(dirs, func(a, b string) int { // 9.6 < 15
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return dirs[len(dirs)-1]
}

func newPostgres(ctx context.Context, dir string) (*postgres, error) {
	pg := &postgres{dir: filepath.Join(dir, "pg"), bin: pgBin(), port: freePort()}
	if os.Geteuid() == 0 {
		pg.asUser = "postgres"
	}
	if err := os.MkdirAll(pg.dir, 0o700); err != nil {
		return nil, err
	}
	if pg.asUser != "" {
		u, err := user.Lookup(pg.asUser)
		if err != nil {
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{dir, pg.dir} {
			if err := os.Chown(d, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	if out, err := pg.run(ctx, "initdb", "-D", pg.dir+"/data", "-U", "postgres", "--auth=trust", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return pg, pg.start(ctx)
}

func (pg *postgres) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	argv := append([]string{filepath.Join(pg.bin, tool)}, args...)
	if pg.asUser != "" {
		argv = append([]string{"runuser", "-u", pg.asUser, "--"}, argv...)
	}
	return exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
}

func (pg *postgres) start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, pg.dir)
	out, err := pg.run(ctx, "pg_ctl", "-D", pg.dir+"/data", "-o", opts, "-l", pg.dir+"/postgres.log", "-w", "-t", "30", "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s", err, out)
	}
	return nil
}

// stopFast is `pg_ctl stop -m fast`: open connections are cut off.
func (pg *postgres) stopFast(ctx context.Context) error {
	out, err := pg.run(ctx, "pg_ctl", "-D", pg.dir+"/data", "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

func (pg *postgres) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, db)
}

func (pg *postgres) createDB(ctx context.Context, name string) error {
	out, err := pg.run(ctx, "createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres", name)
	if err != nil {
		return fmt.Errorf("createdb: %w\n%s", err, out)
	}
	return nil
}

// close stops the cluster whatever state it is in.
func (pg *postgres) close() {
	if pg == nil {
		return
	}
	_, _ = pg.run(context.Background(), "pg_ctl", "-D", pg.dir+"/data", "-m", "immediate", "-w", "stop")
}
