package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/doctor"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// DoctorOptions are `tykportal doctor`.
type DoctorOptions struct {
	Provider string // "" for all
	// Repair deletes orphans from the Dashboard and clears settled
	// operations from the journal.
	Repair bool
	// Grace: with Repair, an operation whose object is absent is cleared
	// only once it is older than this (its request may still be on its way).
	Grace time.Duration
}

// DoctorReport is what doctor found (and repaired); its JSON is doctor's
// document.
type DoctorReport struct {
	Operations []doctor.Finding `json:"operations"`
	Orphans    int              `json:"orphans"`    // objects in the Dashboard without a local record, not repaired
	Unverified int              `json:"unverified"` // operations the Dashboard could not be asked about
	Repaired   int              `json:"repaired"`   // orphans deleted by --repair
	Cleared    int              `json:"cleared"`    // operations removed from the journal by --repair

	repair bool
}

// Doctor asks each provider's Dashboard about the interrupted operations in
// the journal and, with Repair, deletes orphans and clears what is settled.
// A Dashboard that cannot be asked makes its operations unverified, not an
// error; see DoctorReport.Err for the outcome.
func (s *Service) Doctor(ctx context.Context, opts DoctorOptions) (DoctorReport, error) {
	report := DoctorReport{Operations: []doctor.Finding{}, repair: opts.Repair}
	if opts.Provider != "" {
		if _, err := s.Provider(ctx, opts.Provider); err != nil {
			return report, err
		}
	}
	var ops []catalog.Operation
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		ops, err = repo.ListOperations(tx, opts.Provider)
		return err
	})
	if err != nil && !isNoState(err) {
		return report, err
	}
	for _, group := range byProvider(ops) {
		report.Operations = append(report.Operations, s.examine(ctx, group, opts.Repair)...)
	}
	if opts.Repair {
		if err := s.clearSettled(ctx, &report, opts.Grace); err != nil {
			return report, err
		}
	}
	for _, f := range report.Operations {
		switch {
		case f.Repaired:
			report.Repaired++
		case f.State == doctor.Orphan:
			report.Orphans++
		case f.State == doctor.Unverified:
			report.Unverified++
		}
	}
	return report, nil
}

func byProvider(ops []catalog.Operation) [][]catalog.Operation {
	var out [][]catalog.Operation
	index := map[string]int{}
	for _, op := range ops {
		i, ok := index[op.Provider]
		if !ok {
			i = len(out)
			index[op.Provider] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], op)
	}
	return out
}

// examine checks one provider's operations, repairing orphans when asked.
func (s *Service) examine(ctx context.Context, ops []catalog.Operation, repair bool) []doctor.Finding {
	all := func(state doctor.State, detail string) []doctor.Finding {
		out := make([]doctor.Finding, 0, len(ops))
		for _, op := range ops {
			out = append(out, doctor.Finding{Operation: op, State: state, Detail: detail})
		}
		return out
	}
	p, c, err := s.providerAndClient(ctx, ops[0].Provider)
	if err != nil {
		return all(doctor.Unverified, err.Error())
	}
	var known doctor.Known
	err = s.view(ctx, func(tx store.Tx) error {
		var err error
		known, err = doctor.KnownFrom(tx, p.Name)
		return err
	})
	if err != nil {
		return all(doctor.Unverified, fmt.Sprintf("read the local records: %v", err))
	}
	findings := doctor.Check(ctx, c, p.OrgID, ops, known)
	if repair {
		for i := range findings {
			if err := doctor.Repair(ctx, c, &findings[i]); err != nil {
				findings[i].Detail = fmt.Sprintf("repair failed: %v", err)
			}
		}
	}
	return findings
}

// clearSettled removes settled operations from the journal in one
// transaction.
func (s *Service) clearSettled(ctx context.Context, report *DoctorReport, grace time.Duration) error {
	var settled []uint64
	now := s.now()
	for i, f := range report.Operations {
		switch {
		case f.Settled(now, grace):
			settled = append(settled, f.Operation.ID)
		case f.State == doctor.Absent:
			report.Operations[i].Detail = fmt.Sprintf("started %s ago; kept until it is older than --grace %s, in case its request is still on its way",
				now.Sub(f.Operation.StartedAt).Round(time.Second), grace)
		}
	}
	if len(settled) == 0 {
		return nil
	}
	err := s.update(ctx, func(tx store.Tx) error {
		for _, id := range settled {
			if err := repo.FinishOperation(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear settled operations: %w", err)
	}
	report.Cleared = len(settled)
	return nil
}

// Err is the report's outcome: nil when every interrupted operation is
// settled or harmless, an error (exit 1) while an orphan or an unverified
// operation needs the admin.
func (r DoctorReport) Err() error {
	if len(r.Operations) == 0 {
		return nil
	}
	var need []string
	if r.Orphans > 0 {
		hint := "run `tykportal doctor --repair` to delete them"
		if r.repair {
			hint = "see the detail column"
		}
		need = append(need, fmt.Sprintf("%d Dashboard object(s) without a local record (%s)", r.Orphans, hint))
	}
	if r.Unverified > 0 {
		// Name each distinct cause once, with its provider.
		var causes []string
		seen := map[string]bool{}
		for _, f := range r.Operations {
			cause := fmt.Sprintf("provider %q: %s", f.Operation.Provider, f.Detail)
			if f.State == doctor.Unverified && !f.Repaired && !seen[cause] {
				seen[cause] = true
				causes = append(causes, cause)
			}
		}
		need = append(need, fmt.Sprintf("%d operation(s) could not be checked (%s)", r.Unverified, strings.Join(causes, "; ")))
	}
	if len(need) > 0 {
		return fmt.Errorf("%s", strings.Join(need, "; "))
	}
	return nil
}
