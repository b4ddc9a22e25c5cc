package portal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// errSignal stands for the CLI's interruption (Ctrl-C), the cause of the
// command's context.
var errSignal = errors.New("interrupted")

// A create interrupted while its request is out ends at once with the
// interruption as its error (the CLI's exit 130), keeps its journal entry
// and names doctor, since the Dashboard may have the object.
func TestCreateInterrupted(t *testing.T) {
	creates := map[string]func(context.Context, *Service) error{
		"product": func(ctx context.Context, s *Service) error {
			_, err := s.CreateProduct(ctx, CreateProductOptions{ItemFields: ItemFields{Provider: "prod", Name: "Bundle"}, APIs: []string{"payments"}})
			return err
		},
		"plan": func(ctx context.Context, s *Service) error {
			_, err := s.CreatePlan(ctx, CreatePlanOptions{ItemFields: ItemFields{Provider: "prod", Name: "Bronze"}, Limits: catalog.Limits{Rate: 10, Per: 60}})
			return err
		},
	}
	for name, create := range creates {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.withProvider("prod")
			// The simulator holds a POST it has not read for the whole
			// latency (its server notices no disconnect), and the test's
			// clean-up waits for it: long enough to tell, short to wait.
			f.sim.SetFault("POST", policiesPath, 0, dashboardtest.Fault{Latency: 3 * time.Second})
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(100*time.Millisecond, func() { cancel(errSignal) })
			start := time.Now()
			err := create(ctx, f.svc)
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("took %s after the interruption", took)
			}
			if !errors.Is(err, errSignal) || !strings.Contains(err.Error(), "run `tykportal doctor` to check (operation 1)") {
				t.Fatalf("error %v, want the interruption naming doctor", err)
			}
			if ops := f.operations(); len(ops) != 1 {
				t.Fatalf("the journal holds %+v, want the interrupted operation", ops)
			}
		})
	}
}
