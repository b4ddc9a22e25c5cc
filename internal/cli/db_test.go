package cli

import (
	"context"
	"testing"
)

func TestDBCopyFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    dbCopyOptions
		wantErr bool
	}{
		{[]string{"--from", "a.db", "--to", "postgres://h/db"}, dbCopyOptions{from: "a.db", to: "postgres://h/db"}, false},
		{[]string{"--from", "a.db", "--to", "b.db", "--force"}, dbCopyOptions{from: "a.db", to: "b.db", force: true}, false},
		{[]string{"--from", "a.db"}, dbCopyOptions{}, true},
		{[]string{"--to", "b.db"}, dbCopyOptions{}, true},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *dbCopyOptions
		cmd := newDBCopyCmd(a, func(_ context.Context, o *dbCopyOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr {
			if err == nil || ExitCode(err) != 2 || got != nil {
				t.Errorf("%v: %v (ran %v), want a usage error", tc.args, err, got != nil)
			}
			continue
		}
		if err != nil || got == nil || *got != tc.want {
			t.Errorf("%v: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}
