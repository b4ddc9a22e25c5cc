// Package wiretest serves the golden wire fixtures of testdata/wire: Tyk
// Dashboard answers written from Tyk's published OpenAPI spec and Go types,
// not from our simulator. A plain server answers each request with the file
// its route names and records what it was sent, so tests check both our
// decoding of real-shaped answers and what we send back.
package wiretest

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Route is one answer: requests with Method to Path get Status and the
// bytes of File. A Path ending in "/*" matches any one last segment.
type Route struct {
	Method string
	Path   string
	Status int
	File   string
}

func (r Route) matches(method, path string) bool {
	if r.Method != method {
		return false
	}
	if prefix, ok := strings.CutSuffix(r.Path, "/*"); ok {
		rest, ok := strings.CutPrefix(path, prefix+"/")
		return ok && rest != "" && !strings.Contains(rest, "/")
	}
	return r.Path == path
}

// Request is a request the server was sent.
type Request struct {
	Method string
	Path   string
	Query  string
	// Auth is the Authorization header (the fixtures' secret is no real
	// secret, so keeping it lets a test check it was sent raw).
	Auth string
	Body []byte
	// Matched is false for a request no route answers (404).
	Matched bool
}

// LoadRoutes reads dir/routes.txt: METHOD PATH STATUS FILE a line, # comments.
func LoadRoutes(dir string) ([]Route, error) {
	f, err := os.Open(filepath.Join(dir, "routes.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Route
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 4 {
			return nil, fmt.Errorf("routes.txt:%d: want METHOD PATH STATUS FILE, got %q", n, line)
		}
		st, err := strconv.Atoi(fs[2])
		if err != nil {
			return nil, fmt.Errorf("routes.txt:%d: status: %w", n, err)
		}
		out = append(out, Route{Method: fs[0], Path: fs[1], Status: st, File: fs[3]})
	}
	return out, sc.Err()
}

// Server answers from fixture files by route and records every request.
type Server struct {
	dir    string
	secret string
	routes []Route

	mu   sync.Mutex
	reqs []Request
}

// New serves dir by its routes.txt. A request whose Authorization header is
// not secret gets the Dashboard's 401 (error_401.json).
func New(dir, secret string) (*Server, error) {
	routes, err := LoadRoutes(dir)
	if err != nil {
		return nil, err
	}
	return NewWithRoutes(dir, secret, routes), nil
}

// NewWithRoutes serves dir by the routes given; the first match wins.
func NewWithRoutes(dir, secret string, routes []Route) *Server {
	return &Server{dir: dir, secret: secret, routes: routes}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body}
	status, file := http.StatusNotFound, ""
	if rec.Auth != s.secret {
		status, file, rec.Matched = http.StatusUnauthorized, "error_401.json", true
	} else {
		for _, rt := range s.routes {
			if rt.matches(r.Method, r.URL.Path) {
				status, file, rec.Matched = rt.Status, rt.File, true
				break
			}
		}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	if file == "" {
		http.Error(w, "no fixture route for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	raw, err := os.ReadFile(filepath.Join(s.dir, file))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// Requests returns a copy of the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the last request with method to path, and whether there was one.
func (s *Server) Last(method, path string) (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.reqs) - 1; i >= 0; i-- {
		if s.reqs[i].Method == method && s.reqs[i].Path == path {
			return s.reqs[i], true
		}
	}
	return Request{}, false
}
