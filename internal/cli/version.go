package cli

import (
	"runtime"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/output"
)

type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

func (a *App) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := versionInfo{
				Version: a.Build.Version, Commit: a.Build.Commit, Date: a.Build.Date,
				GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
			}
			return a.printer().Print(v, func() output.Table {
				return output.Table{KeyValue: true, Rows: [][]string{
					{"Version", v.Version}, {"Commit", v.Commit}, {"Built", v.Date},
					{"Go", v.GoVersion}, {"Platform", v.Platform},
				}}
			})
		},
	}
}
