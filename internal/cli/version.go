package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/output"
)

type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// The values main carries when the linker stamped nothing.
const (
	unstampedVersion = "dev"
	unstampedCommit  = "none"
	unstampedDate    = "unknown"
)

// withModuleInfo fills what the linker did not stamp (a `go install` or
// `go build` has no -ldflags) from the build information Go embeds in
// every binary: the module's version (a tag, or a pseudo-version of the
// commit), and the VCS revision, its time and whether the tree had
// uncommitted changes. A release's stamped values are kept as they are.
func (b BuildInfo) withModuleInfo(read func() (*debug.BuildInfo, bool)) BuildInfo {
	bi, ok := read()
	if !ok || bi == nil {
		return b
	}
	if (b.Version == "" || b.Version == unstampedVersion) && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	stamped := b.Commit != "" && b.Commit != unstampedCommit
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if !stamped {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.Date == "" || b.Date == unstampedDate {
				b.Date = s.Value
			}
		case "vcs.modified":
			if !stamped {
				b.Modified = s.Value == "true"
			}
		}
	}
	return b
}

// line is the build in one line, for --version.
func (b BuildInfo) line() string {
	commit := b.Commit
	if b.Modified {
		commit += ", modified"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s, %s/%s)", b.Version, commit, b.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func (a *App) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := versionInfo{
				Version: a.Build.Version, Commit: a.Build.Commit, Modified: a.Build.Modified, Date: a.Build.Date,
				GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
			}
			return a.printer().Print(v, func() output.Table {
				commit := v.Commit
				if v.Modified {
					commit += " (modified)"
				}
				return output.Table{KeyValue: true, Rows: [][]string{
					{"Version", v.Version}, {"Commit", commit}, {"Built", v.Date},
					{"Go", v.GoVersion}, {"Platform", v.Platform},
				}}
			})
		},
	}
}
