// Command appapi-sim runs a stand-in for Nextcloud + AppAPI (see package
// internal/appapisim) and talks to a running one like occ would.
//
//	appapi-sim [flags]                         serve
//	appapi-sim occ [-sim URL] <command> [args] run an occ command
//	appapi-sim register|enable|disable|unregister [-sim URL]
//	appapi-sim env [-sim URL]                  print the ExApp's deploy env
//	appapi-sim state [-sim URL]                print the simulator state
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"

	"github.com/weather-apis/weather_apis/internal/appapisim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "occ":
			return runOcc(args[1:], stdout, stderr)
		case "register", "enable", "disable", "unregister":
			return runLifecycle(args[0], args[1:], stdout, stderr)
		case "env", "state":
			return runInfo(args[0], args[1:], stdout, stderr)
		}
	}
	return serve(args, stderr)
}

// env reads a default from the environment.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func serve(args []string, stderr io.Writer) int {
	d := appapisim.DefaultConfig()
	fs := flag.NewFlagSet("appapi-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg appapisim.Config
	var routeMode string
	var autoRegister bool
	var logLevel string
	fs.StringVar(&cfg.Listen, "listen", env("APPAPI_SIM_LISTEN", d.Listen), "Nextcloud origin address (APPAPI_SIM_LISTEN)")
	fs.StringVar(&cfg.InfoXML, "info-xml", env("APPAPI_SIM_INFO_XML", d.InfoXML), "ExApp info.xml (APPAPI_SIM_INFO_XML)")
	fs.StringVar(&cfg.AppSecret, "app-secret", env("APPAPI_SIM_APP_SECRET", ""), "APP_SECRET; generated (128 chars) when empty (APPAPI_SIM_APP_SECRET)")
	fs.StringVar(&cfg.ExAppURL, "exapp-url", env("APPAPI_SIM_EXAPP_URL", d.ExAppURL), "ExApp base URL (APPAPI_SIM_EXAPP_URL)")
	fs.StringVar(&cfg.ExAppSocket, "exapp-socket", env("APPAPI_SIM_EXAPP_SOCKET", ""), "ExApp unix socket, HaRP/FRP mode (APPAPI_SIM_EXAPP_SOCKET)")
	fs.IntVar(&cfg.HeartbeatAttempts, "heartbeat-attempts", envInt("APPAPI_SIM_HEARTBEAT_ATTEMPTS", d.HeartbeatAttempts), "heartbeat attempts (APPAPI_SIM_HEARTBEAT_ATTEMPTS)")
	fs.DurationVar(&cfg.HeartbeatInterval, "heartbeat-interval", envDur("APPAPI_SIM_HEARTBEAT_INTERVAL", d.HeartbeatInterval), "pause between heartbeats (APPAPI_SIM_HEARTBEAT_INTERVAL)")
	fs.DurationVar(&cfg.InitTimeout, "init-timeout", envDur("APPAPI_SIM_INIT_TIMEOUT", d.InitTimeout), "init_timeout (APPAPI_SIM_INIT_TIMEOUT)")
	fs.StringVar(&routeMode, "route-mode", env("APPAPI_SIM_ROUTE_MODE", string(d.RouteMode)), "PHP proxy route matching: gen3|gen1 (APPAPI_SIM_ROUTE_MODE)")
	fs.StringVar(&cfg.StateFile, "state-file", env("APPAPI_SIM_STATE_FILE", ""), "keep registration state in this JSON file (APPAPI_SIM_STATE_FILE)")
	fs.StringVar(&cfg.AAVersion, "aa-version", env("APPAPI_SIM_AA_VERSION", d.AAVersion), "AA-VERSION / AA_VERSION (APPAPI_SIM_AA_VERSION)")
	fs.StringVar(&cfg.HarpSharedKey, "harp-shared-key", env("APPAPI_SIM_HARP_SHARED_KEY", ""), "HP_SHARED_KEY: with -exapp-socket (generated when empty), or with -exapp-url for HaRP mode over TCP, e.g. a real frps port (APPAPI_SIM_HARP_SHARED_KEY)")
	fs.IntVar(&cfg.HarpBanCount, "harp-ban-count", envInt("APPAPI_SIM_HARP_BAN_COUNT", d.HarpBanCount), "HaRP bans an IP after this many failures; -1 never (APPAPI_SIM_HARP_BAN_COUNT)")
	fs.IntVar(&cfg.BruteforceThreshold, "bruteforce-threshold", envInt("APPAPI_SIM_BRUTEFORCE_THRESHOLD", d.BruteforceThreshold), "attempts before throttling (APPAPI_SIM_BRUTEFORCE_THRESHOLD)")
	fs.DurationVar(&cfg.BruteforceBaseDelay, "bruteforce-delay", envDur("APPAPI_SIM_BRUTEFORCE_DELAY", d.BruteforceBaseDelay), "first throttle delay (APPAPI_SIM_BRUTEFORCE_DELAY)")
	fs.DurationVar(&cfg.BruteforceMaxDelay, "bruteforce-max-delay", envDur("APPAPI_SIM_BRUTEFORCE_MAX_DELAY", d.BruteforceMaxDelay), "throttle delay cap (APPAPI_SIM_BRUTEFORCE_MAX_DELAY)")
	fs.IntVar(&cfg.LogLevel, "nc-loglevel", envInt("APPAPI_SIM_NC_LOGLEVEL", d.LogLevel), "Nextcloud loglevel reported in capabilities (APPAPI_SIM_NC_LOGLEVEL)")
	fs.BoolVar(&autoRegister, "register", env("APPAPI_SIM_REGISTER", "") == "true", "register the ExApp once serving (APPAPI_SIM_REGISTER=true)")
	fs.StringVar(&logLevel, "log-level", env("APPAPI_SIM_LOG_LEVEL", "info"), "debug|info|warn|error (APPAPI_SIM_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintf(stderr, "bad -log-level %q\n", logLevel)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	cfg.RouteMode = appapisim.RouteMode(routeMode)
	cfg.Logger = logger
	srv, err := appapisim.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "appapi-sim: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("AppAPI simulator serving", "listen", cfg.Listen, "app", srv.Info().ID, "route_mode", cfg.RouteMode)
	if autoRegister {
		go func() {
			res := srv.Register(ctx, false)
			logger.Info("auto-register finished", "exit_code", res.ExitCode, "output", res.Output)
		}()
	}
	if err := serveActivated(ctx, srv); err != nil {
		fmt.Fprintf(stderr, "appapi-sim: %v\n", err)
		return 1
	}
	return 0
}

// serveActivated serves on the listening socket handed over by socket activation
// (sd_listen_fds(3), one socket), else on -listen.
func serveActivated(ctx context.Context, srv *appapisim.Server) error {
	ls, err := activation.Listeners()
	switch {
	case err != nil:
		return fmt.Errorf("cannot use the socket handed over (LISTEN_FDS): %w", err)
	case len(ls) == 0:
		return srv.ListenAndServe(ctx)
	case len(ls) > 1 || ls[0] == nil:
		return fmt.Errorf("LISTEN_FDS: want one listening socket, got %d", len(ls))
	}
	return srv.Serve(ctx, ls[0])
}

// clientFlags parses -sim and returns the client and remaining args.
func clientFlags(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*appapisim.Client, []string, bool) {
	fs := flag.NewFlagSet("appapi-sim "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sim := fs.String("sim", env("APPAPI_SIM_URL", "http://127.0.0.1:8080"), "simulator URL (APPAPI_SIM_URL)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, false
	}
	return &appapisim.Client{BaseURL: *sim}, fs.Args(), true
}

func runOcc(args []string, stdout, stderr io.Writer) int {
	// Only a leading -sim belongs to us; everything else is occ's argv.
	var own []string
	for len(args) >= 2 && (args[0] == "-sim" || args[0] == "--sim") {
		own, args = append(own, args[0], args[1]), args[2:]
	}
	c, _, ok := clientFlags("occ", own, stderr, nil)
	if !ok {
		return 2
	}
	res, err := c.Occ(context.Background(), args...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprint(stdout, res.Stdout)
	fmt.Fprint(stderr, res.Stderr)
	return res.ExitCode
}

func runLifecycle(cmd string, args []string, stdout, stderr io.Writer) int {
	var force, faithful bool
	c, _, ok := clientFlags(cmd, args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "unregister: continue when disabling fails")
		fs.BoolVar(&faithful, "faithful-wait", false, "register: return at init=100 like occ --wait-finish, without waiting for /enabled")
	})
	if !ok {
		return 2
	}
	res, err := c.Lifecycle(context.Background(), cmd, faithful, force)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprint(stdout, res.Output)
	return res.ExitCode
}

func runInfo(cmd string, args []string, stdout, stderr io.Writer) int {
	c, _, ok := clientFlags(cmd, args, stderr, nil)
	if !ok {
		return 2
	}
	ctx := context.Background()
	if cmd == "state" {
		st, err := c.State(ctx)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return exitOn(enc.Encode(st), stderr)
	}
	app, err := c.App(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	keys := make([]string, 0, len(app.Env))
	for k := range app.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "%s=%s\n", k, app.Env[k])
	}
	return 0
}

func exitOn(err error, stderr io.Writer) int {
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
