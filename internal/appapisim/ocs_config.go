package appapisim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// configMap returns the app config, or the header user's preferences.
func configMap(a *AppState, prefs bool, user string, create bool) map[string]ConfigValue {
	if !prefs {
		return a.AppConfig
	}
	m := a.Preferences[user]
	if m == nil && create {
		m = map[string]ConfigValue{}
		a.Preferences[user] = m
	}
	return m
}

func (s *Server) ocsConfigSet(prefs bool) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if prefs && q.user == "" {
			return fail(http.StatusUnauthorized, "User is required")
		}
		key := q.str("configKey")
		if key == "" {
			return fail(http.StatusBadRequest, "Config key cannot be empty")
		}
		value := q.str("configValue")
		sens, hasSens := q.int("sensitive")
		var out ConfigValue
		s.st.update(func(a *AppState) {
			m := configMap(a, prefs, q.user, true)
			cur, exists := m[key]
			target := exists && cur.Sensitive
			if hasSens && q.params["sensitive"] != nil {
				target = sens != 0
			}
			out = ConfigValue{Value: value, Sensitive: target}
			m[key] = out
		})
		res := map[string]any{"appid": q.appID, "configkey": key, "configvalue": value, "sensitive": boolInt(out.Sensitive)}
		if prefs {
			res["userid"] = q.user
		}
		return ok(res)
	}
}

func (s *Server) ocsConfigGet(prefs bool) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if prefs && q.user == "" {
			return fail(http.StatusUnauthorized, "User is required")
		}
		out := []any{}
		seen := map[string]bool{}
		s.st.view(func(a *AppState) {
			m := configMap(a, prefs, q.user, false)
			for _, k := range q.list("configKeys") {
				key := stringify(k)
				if v, exists := m[key]; exists && !seen[key] {
					seen[key] = true
					out = append(out, map[string]any{"configkey": key, "configvalue": v.Value})
				}
			}
		})
		return ok(out)
	}
}

func (s *Server) ocsConfigDelete(prefs bool) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if prefs && q.user == "" {
			return fail(http.StatusUnauthorized, "User is required")
		}
		deleted := 0
		s.st.update(func(a *AppState) {
			m := configMap(a, prefs, q.user, false)
			for _, k := range q.list("configKeys") {
				if _, exists := m[stringify(k)]; exists {
					delete(m, stringify(k))
					deleted++
				}
			}
		})
		if deleted == 0 {
			return fail(http.StatusNotFound, "No app config values deleted")
		}
		return ok(deleted)
	}
}

// ocsOccRegister upserts an occ command (OccCommandController).
func (s *Server) ocsOccRegister(q *ocsReq) ocsRes {
	cmd := OccCommand{Name: q.str("name"), Description: q.str("description"), ExecuteHandler: q.str("execute_handler")}
	if cmd.Name == "" || cmd.ExecuteHandler == "" {
		return fail(http.StatusBadRequest, "")
	}
	for len(cmd.ExecuteHandler) > 0 && cmd.ExecuteHandler[0] == '/' {
		cmd.ExecuteHandler = cmd.ExecuteHandler[1:] // ltrim($executeHandler, '/')
	}
	cmd.Hidden, _ = q.int("hidden")
	if err := remarshal(q.params["arguments"], &cmd.Arguments); err != nil {
		return fail(http.StatusBadRequest, "")
	}
	if err := remarshal(q.params["options"], &cmd.Options); err != nil {
		return fail(http.StatusBadRequest, "")
	}
	for _, u := range q.list("usages") {
		cmd.Usages = append(cmd.Usages, stringify(u))
	}
	s.st.update(func(a *AppState) {
		for i, c := range a.OccCommands {
			if c.Name == cmd.Name {
				a.OccCommands[i] = cmd
				return
			}
		}
		a.OccCommands = append(a.OccCommands, cmd)
	})
	return ok(nil)
}

func (s *Server) ocsOccUnregister(q *ocsReq) ocsRes {
	name, found := q.str("name"), false
	s.st.update(func(a *AppState) {
		for i, c := range a.OccCommands {
			if c.Name == name {
				a.OccCommands = append(a.OccCommands[:i], a.OccCommands[i+1:]...)
				found = true
				return
			}
		}
	})
	if !found {
		return fail(http.StatusNotFound, "")
	}
	return ok(nil)
}

func (s *Server) ocsOccGet(q *ocsReq) ocsRes {
	var out map[string]any
	s.st.view(func(a *AppState) {
		for _, c := range a.OccCommands {
			if c.Name == q.str("name") {
				out, _ = jsonRoundTrip(c).(map[string]any)
				out["appid"] = s.info.ID
			}
		}
	})
	if out == nil {
		return fail(http.StatusNotFound, "")
	}
	return ok(out)
}

// remarshal converts a decoded JSON value into out (nil leaves out empty).
func remarshal(v any, out any) error {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func stringify(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		raw, _ := json.Marshal(t)
		return string(raw)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
