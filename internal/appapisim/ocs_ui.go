package appapisim

import (
	"encoding/json"
	"net/http"
)

// ocsUIRoutes are the AppAPIAuth UI endpoints (OCSUiController,
// OCSSettingsController); keys are "METHOD path".
func (s *Server) ocsUIRoutes() map[string]func(*ocsReq) ocsRes {
	p := aaPrefix + "/api/v1/ui/"
	return map[string]func(*ocsReq) ocsRes{
		"POST " + p + "top-menu":      s.uiTopMenuSet,
		"DELETE " + p + "top-menu":    s.uiTopMenuDelete,
		"GET " + p + "top-menu":       s.uiTopMenuGet,
		"POST " + p + "initial-state": s.uiInitialStateSet,
		"DELETE " + p + "initial-state": func(q *ocsReq) ocsRes {
			return s.uiDelete(q, "No such InitialState", func(a *AppState) bool {
				return removeWhere(&a.InitialStates, func(i InitialState) bool {
					return i.Type == q.str("type") && i.Name == q.str("name") && i.Key == q.str("key")
				})
			})
		},
		"GET " + p + "initial-state": func(q *ocsReq) ocsRes {
			return s.uiGet(q, "No such InitialState", func(a *AppState) any {
				for _, i := range a.InitialStates {
					if i.Type == q.str("type") && i.Name == q.str("name") && i.Key == q.str("key") {
						return map[string]any{"appid": s.info.ID, "type": i.Type, "name": i.Name, "key": i.Key, "value": string(i.Value)}
					}
				}
				return nil
			})
		},
		"POST " + p + "script": s.uiScriptSet,
		"DELETE " + p + "script": func(q *ocsReq) ocsRes {
			return s.uiDelete(q, "No such Script", func(a *AppState) bool {
				return removeWhere(&a.Scripts, func(x Script) bool {
					return x.Type == q.str("type") && x.Name == q.str("name") && x.Path == q.str("path")
				})
			})
		},
		"GET " + p + "script": func(q *ocsReq) ocsRes {
			return s.uiGet(q, "No such Script", func(a *AppState) any {
				return findWhere(a.Scripts, func(x Script) bool {
					return x.Type == q.str("type") && x.Name == q.str("name") && x.Path == q.str("path")
				})
			})
		},
		"POST " + p + "style": s.uiStyleSet,
		"DELETE " + p + "style": func(q *ocsReq) ocsRes {
			return s.uiDelete(q, "No such Style", func(a *AppState) bool {
				return removeWhere(&a.Styles, func(x Style) bool {
					return x.Type == q.str("type") && x.Name == q.str("name") && x.Path == q.str("path")
				})
			})
		},
		"GET " + p + "style": func(q *ocsReq) ocsRes {
			return s.uiGet(q, "No such Style", func(a *AppState) any {
				return findWhere(a.Styles, func(x Style) bool {
					return x.Type == q.str("type") && x.Name == q.str("name") && x.Path == q.str("path")
				})
			})
		},
		"POST " + p + "settings": s.uiSettingsSet,
		"DELETE " + p + "settings": func(q *ocsReq) ocsRes {
			return s.uiDelete(q, "", func(a *AppState) bool {
				return removeWhere(&a.SettingsForms, func(f SettingsForm) bool { return f.FormID == q.str("formId") })
			})
		},
		"GET " + p + "settings": func(q *ocsReq) ocsRes {
			return s.uiGet(q, "", func(a *AppState) any {
				for _, f := range a.SettingsForms {
					if f.FormID == q.str("formId") {
						return f.Scheme
					}
				}
				return nil
			})
		},
		"POST " + p + "files-actions-menu":                   s.uiFileActionSet,
		"POST " + aaPrefix + "/api/v2/ui/files-actions-menu": s.uiFileActionSet,
		"DELETE " + p + "files-actions-menu": func(q *ocsReq) ocsRes {
			return s.uiDelete(q, "FileActionMenu not found", func(a *AppState) bool {
				return removeWhere(&a.FileActions, func(f map[string]any) bool { return f["name"] == q.str("name") })
			})
		},
		"GET " + p + "files-actions-menu": func(q *ocsReq) ocsRes {
			return s.uiGet(q, "FileActionMenu not found", func(a *AppState) any {
				return findWhere(a.FileActions, func(f map[string]any) bool { return f["name"] == q.str("name") })
			})
		},
	}
}

func (s *Server) uiTopMenuSet(q *ocsReq) ocsRes {
	m := TopMenu{Name: q.str("name"), DisplayName: q.str("displayName"), Icon: q.str("icon")}
	m.AdminRequired, _ = q.int("adminRequired")
	if m.Name == "" || m.DisplayName == "" {
		return fail(http.StatusBadRequest, "Top Menu entry could not be registered")
	}
	s.st.update(func(a *AppState) { upsert(&a.TopMenus, m, func(x TopMenu) bool { return x.Name == m.Name }) })
	return ok(nil)
}

func (s *Server) uiTopMenuDelete(q *ocsReq) ocsRes {
	return s.uiDelete(q, "No such Top Menu entry", func(a *AppState) bool {
		return removeWhere(&a.TopMenus, func(x TopMenu) bool { return x.Name == q.str("name") })
	})
}

func (s *Server) uiTopMenuGet(q *ocsReq) ocsRes {
	return s.uiGet(q, "No such Top Menu entry", func(a *AppState) any {
		for _, m := range a.TopMenus {
			if m.Name == q.str("name") {
				return map[string]any{"appid": s.info.ID, "name": m.Name, "display_name": m.DisplayName, "icon": m.Icon, "admin_required": m.AdminRequired}
			}
		}
		return nil
	})
}

// uiInitialStateSet needs value to be an array/object (PHP `array $value`).
func (s *Server) uiInitialStateSet(q *ocsReq) ocsRes {
	v := q.params["value"]
	switch v.(type) {
	case map[string]any, []any:
	default:
		return fail(http.StatusBadRequest, "InitialState could not be set")
	}
	raw, _ := json.Marshal(v)
	is := InitialState{Type: q.str("type"), Name: q.str("name"), Key: q.str("key"), Value: raw}
	if is.Type == "" || is.Name == "" || is.Key == "" {
		return fail(http.StatusBadRequest, "InitialState could not be set")
	}
	s.st.update(func(a *AppState) {
		upsert(&a.InitialStates, is, func(x InitialState) bool { return x.Type == is.Type && x.Name == is.Name && x.Key == is.Key })
	})
	return ok(nil)
}

func (s *Server) uiScriptSet(q *ocsReq) ocsRes {
	sc := Script{Type: q.str("type"), Name: q.str("name"), Path: q.str("path"), AfterAppID: q.str("afterAppId")}
	if sc.Type == "" || sc.Name == "" || sc.Path == "" {
		return fail(http.StatusBadRequest, "Script could not be set")
	}
	s.st.update(func(a *AppState) {
		upsert(&a.Scripts, sc, func(x Script) bool { return x.Type == sc.Type && x.Name == sc.Name && x.Path == sc.Path })
	})
	return ok(nil)
}

func (s *Server) uiStyleSet(q *ocsReq) ocsRes {
	st := Style{Type: q.str("type"), Name: q.str("name"), Path: q.str("path")}
	if st.Type == "" || st.Name == "" || st.Path == "" {
		return fail(http.StatusBadRequest, "Style could not be set")
	}
	s.st.update(func(a *AppState) {
		upsert(&a.Styles, st, func(x Style) bool { return x.Type == st.Type && x.Name == st.Name && x.Path == st.Path })
	})
	return ok(nil)
}

// uiSettingsSet stores a declarative form; AA forces storage_type=external.
func (s *Server) uiSettingsSet(q *ocsReq) ocsRes {
	scheme, _ := q.params["formScheme"].(map[string]any)
	id, _ := scheme["id"].(string)
	if scheme == nil || id == "" {
		return fail(http.StatusBadRequest, "")
	}
	scheme["storage_type"] = "external"
	f := SettingsForm{FormID: id, Scheme: scheme}
	s.st.update(func(a *AppState) { upsert(&a.SettingsForms, f, func(x SettingsForm) bool { return x.FormID == id }) })
	return ok(nil)
}

func (s *Server) uiFileActionSet(q *ocsReq) ocsRes {
	name := q.str("name")
	if name == "" || q.str("displayName") == "" || q.str("actionHandler") == "" {
		return fail(http.StatusBadRequest, "File Action Menu entry could not be registered")
	}
	fa := map[string]any{}
	for k, v := range q.params {
		if k != "format" {
			fa[k] = v
		}
	}
	s.st.update(func(a *AppState) {
		upsert(&a.FileActions, fa, func(x map[string]any) bool { return x["name"] == name })
	})
	return ok(nil)
}

func (s *Server) uiDelete(_ *ocsReq, notFound string, del func(a *AppState) bool) ocsRes {
	found := false
	s.st.update(func(a *AppState) { found = del(a) })
	if !found {
		return fail(http.StatusNotFound, notFound)
	}
	return ok(nil)
}

func (s *Server) uiGet(_ *ocsReq, notFound string, get func(a *AppState) any) ocsRes {
	var out any
	s.st.view(func(a *AppState) { out = jsonRoundTrip(get(a)) })
	if out == nil {
		return fail(http.StatusNotFound, notFound)
	}
	return ok(out)
}

func upsert[T any](list *[]T, v T, same func(T) bool) {
	for i, x := range *list {
		if same(x) {
			(*list)[i] = v
			return
		}
	}
	*list = append(*list, v)
}

func removeWhere[T any](list *[]T, match func(T) bool) bool {
	for i, x := range *list {
		if match(x) {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}

// findWhere returns a pointer-free copy of the first match, or nil.
func findWhere[T any](list []T, match func(T) bool) any {
	for _, x := range list {
		if match(x) {
			return x
		}
	}
	return nil
}
