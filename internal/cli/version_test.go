package cli

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

// Without -ldflags (go install, go build), version reads the build
// information Go embeds; a release's stamped values win.
func TestBuildInfoFallback(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"},
		{Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}
	unstamped := BuildInfo{Version: "dev", Commit: "none", Date: "unknown"}
	tests := []struct {
		name  string
		build BuildInfo
		info  *debug.BuildInfo // nil: none embedded
		want  BuildInfo
	}{
		{name: "go install of a tagged version", build: unstamped,
			info: &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			want: BuildInfo{Version: "v1.4.0", Commit: "none", Date: "unknown"}},
		{name: "go build in a checkout", build: unstamped,
			info: &debug.BuildInfo{Main: debug.Module{Version: "v1.4.1-0.20261130100000-0123abcd+dirty"}, Settings: vcs},
			want: BuildInfo{Version: "v1.4.1-0.20261130100000-0123abcd+dirty", Commit: "0123abcd", Date: "2026-11-30T10:00:00Z", Modified: true}},
		{name: "go run: (devel) is no version", build: unstamped,
			info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			want: BuildInfo{Version: "dev", Commit: "0123abcd", Date: "2026-11-30T10:00:00Z", Modified: true}},
		{name: "a release keeps what the linker stamped", build: BuildInfo{Version: "1.5.0", Commit: "feedbeef", Date: "2026-12-01T00:00:00Z"},
			info: &debug.BuildInfo{Main: debug.Module{Version: "v1.5.0"}, Settings: vcs},
			want: BuildInfo{Version: "1.5.0", Commit: "feedbeef", Date: "2026-12-01T00:00:00Z"}},
		{name: "no build information", build: unstamped, want: unstamped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.build.withModuleInfo(func() (*debug.BuildInfo, bool) { return tc.info, tc.info != nil })
			if got != tc.want {
				t.Fatalf("%+v, want %+v", got, tc.want)
			}
		})
	}
}

// `--version` works as well as `version`, and both name the same build.
func TestVersionFlag(t *testing.T) {
	build := BuildInfo{Version: "1.5.0", Commit: "feedbeef", Date: "2026-12-01T00:00:00Z"}
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := Main(t.Context(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, func(string) string { return "" }, build); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	if got := run("--version"); !strings.HasPrefix(got, "tykportal 1.5.0 (commit feedbeef, built 2026-12-01T00:00:00Z, go") {
		t.Errorf("--version: %q", got)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(run("version", "-o", "json")), &v); err != nil || v.Version != "1.5.0" || v.Commit != "feedbeef" || v.Modified {
		t.Errorf("version -o json: %+v %v", v, err)
	}
}
