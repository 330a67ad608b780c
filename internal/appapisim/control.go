package appapisim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// AppView is GET /sim/app: the parsed info.xml and the environment AppAPI
// would give the ExApp container (nextcloud/app_api lib/DeployActions/DockerActions.php buildDeployEnvs).
type AppView struct {
	*AppInfo
	RouteMode RouteMode         `json:"route_mode"`
	Transport string            `json:"transport"` // "tcp" or "unix"
	Env       map[string]string `json:"env"`
}

// ExAppEnv returns the deploy environment for the ExApp process.
func (s *Server) ExAppEnv() map[string]string {
	env := map[string]string{
		"AA_VERSION": s.cfg.AAVersion, "APP_SECRET": s.cfg.AppSecret, "APP_ID": s.info.ID,
		"APP_DISPLAY_NAME": s.info.Name, "APP_VERSION": s.info.Version, "APP_HOST": "127.0.0.1",
		"APP_PORT": s.exapp.port, "NEXTCLOUD_URL": "http://" + s.cfg.Listen, "COMPUTE_DEVICE": "CPU",
		"APP_PERSISTENT_STORAGE": "/nc_app_" + s.info.ID + "_data",
	}
	if s.cfg.ExAppSocket != "" {
		env["HP_SHARED_KEY"] = s.cfg.HarpSharedKey
		env["HP_EXAPP_SOCK"] = s.cfg.ExAppSocket
		env["HP_FRP_ADDRESS"], env["HP_FRP_PORT"] = "127.0.0.1", "8782"
	} else if u, err := url.Parse(s.cfg.ExAppURL); err == nil {
		env["APP_HOST"] = u.Hostname()
	}
	for _, v := range s.info.EnvVars {
		if v.Default != "" {
			env[v.Name] = v.Default
		}
	}
	return env
}

func (s *Server) handleSimApp(w http.ResponseWriter, _ *http.Request) {
	tr := "tcp"
	if s.cfg.ExAppSocket != "" {
		tr = "unix"
	}
	writeJSON(w, http.StatusOK, AppView{AppInfo: s.info, RouteMode: s.cfg.RouteMode, Transport: tr, Env: s.ExAppEnv()})
}

// StateView is GET /sim/state.
type StateView struct {
	AppID      string         `json:"app_id"`
	App        AppState       `json:"app"`
	Enabling   int            `json:"enabling"`   // enable runs in flight
	Bruteforce map[string]int `json:"bruteforce"` // "proxy|<ip>" / "appapi|<ip>" → attempts
	HarpFails  map[string]int `json:"harp_failures"`
}

// State returns the simulator state (also for in-process tests).
func (s *Server) State() StateView {
	return StateView{AppID: s.info.ID, App: s.st.snapshot(), Enabling: s.st.enablingNow(),
		Bruteforce: s.throttle.snapshot(), HarpFails: s.bans.snapshot()}
}

func (s *Server) handleSimState(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.State())
}

func (s *Server) handleSimCalls(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.calls.list(r.URL.Query().Get("path")))
}

func (s *Server) handleSimCallsClear(w http.ResponseWriter, _ *http.Request) {
	s.calls.clear()
	w.WriteHeader(http.StatusNoContent)
}

// lifecycleRequest is the optional JSON body of POST /sim/<command>.
type lifecycleRequest struct {
	FaithfulWait bool `json:"faithful_wait"` // register: return at init=100 like occ
	Force        bool `json:"force"`         // unregister --force
}

func (s *Server) handleSimLifecycle(fn func(context.Context, bool) LifecycleResult) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req lifecycleRequest
		_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req)
		flag := req.FaithfulWait
		if strings.HasSuffix(r.URL.Path, "/unregister") {
			flag = req.Force
		}
		res := fn(r.Context(), flag)
		code := http.StatusOK
		if res.ExitCode != 0 {
			code = http.StatusConflict
		}
		writeJSON(w, code, res)
	}
}

func (s *Server) handleSimOcc(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Argv []string `json:"argv"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"argv\":[...]}"})
		return
	}
	writeJSON(w, http.StatusOK, s.RunOcc(r.Context(), req.Argv))
}
