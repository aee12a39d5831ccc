package demoapp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
)

type credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// login accepts JSON (the API) or a form post (the HTML page without
// JavaScript) and answers with a bearer token.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	creds, err := readCredentials(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid login request: "+err.Error())
		return
	}
	if !a.valid(creds) {
		a.log.Info("login refused", "user", creds.User)
		writeError(w, http.StatusUnauthorized, "invalid user or password")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": a.issueToken()})
}

func readCredentials(w http.ResponseWriter, r *http.Request) (credentials, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			return credentials{}, err
		}
		return credentials{User: r.PostForm.Get("user"), Password: r.PostForm.Get("password")}, nil
	}
	var c credentials
	err := json.NewDecoder(r.Body).Decode(&c)
	return c, err
}

func (a *app) valid(c credentials) bool {
	userOK := subtle.ConstantTimeCompare([]byte(c.User), []byte(DemoUser)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(c.Password), []byte(a.opts.Password)) == 1
	return userOK && passOK
}

func (a *app) issueToken() string {
	token := rand.Text()
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for t, expiry := range a.tokens {
		if now.After(expiry) {
			delete(a.tokens, t)
		}
	}
	a.tokens[token] = now.Add(tokenTTL)
	return token
}

func (a *app) validToken(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	expiry, ok := a.tokens[token]
	return ok && !a.now().After(expiry)
}

// requireToken answers 401 unless the request carries a live bearer token.
func (a *app) requireToken(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || !a.validToken(token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil-demo"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		next(w, r)
	}
}
