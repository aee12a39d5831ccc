package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vigil-dev/vigil/internal/contract"
)

// minTraceWindow is the smallest window a split makes; one that still holds
// more than MaxSpans is assembled truncated rather than split forever.
const minTraceWindow = 100 * time.Millisecond

// maxLatePages bounds the pages of late spans one run reads.
const maxLatePages = 10

// catchUpWindows: a run far behind (after downtime) assembles windows this
// many times larger, mostly empty ones, splitting those that hold too many
// spans; the traces are the same, keyed by trace id and root start.
const catchUpWindows = 30

// AssembleTraces runs on its own schedule. From the watermark kept in the
// store it first re-assembles the windows that spans stored since the last
// run arrived late for (within the grace period), then assembles each
// closed window after the watermark, advancing the watermark after each
// one is written. A window is assembled as soon as it has ended and stays
// open for the grace period: that is when its late spans count. After
// MaxWindows windows a run that is still behind continues as new.
func AssembleTraces(ctx workflow.Context, in contract.AssembleInput) (contract.AssembleOutput, error) {
	in = in.WithDefaults()
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.TaskQueueAssembly,
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			MaximumAttempts:    5,
		},
	})
	logger := workflow.GetLogger(ctx)
	var plan contract.TracePlan
	if err := workflow.ExecuteActivity(ctx, contract.ActivityPlanTraceAssembly, in).Get(ctx, &plan); err != nil {
		return contract.AssembleOutput{}, fmt.Errorf("reading the trace watermark: %w", err)
	}
	out := contract.AssembleOutput{AssembledUntil: plan.AssembledUntil}
	mark := contract.AdvanceInput{AssembledUntil: plan.AssembledUntil, StoredCursor: plan.StoredCursor}

	for page := 0; page < maxLatePages; page++ {
		var late contract.LateOutput
		lin := contract.LateInput{Cursor: mark.StoredCursor, AssembledUntil: mark.AssembledUntil,
			Window: in.Window, Grace: in.Grace, Margin: in.Margin, MaxSpans: in.MaxSpans}
		if err := workflow.ExecuteActivity(ctx, contract.ActivityAssembleLateSpans, lin).Get(ctx, &late); err != nil {
			return out, fmt.Errorf("re-assembling the windows of late spans: %w", err)
		}
		out.Late += late.Late
		out.TooLate += late.TooLate
		out.Traces += late.Traces
		if late.Next != mark.StoredCursor {
			mark.StoredCursor = late.Next
			if err := advance(ctx, mark); err != nil {
				return out, err
			}
		}
		if !late.More {
			break
		}
	}

	from := plan.AssembledUntil
	grow := true // until a large window held too many spans
	size := nextSize(from, plan.Now, in.Window, grow)
	for out.Windows < in.MaxWindows {
		until := from.Add(size)
		if until.After(plan.Now) {
			break // not over yet
		}
		win := contract.WindowInput{From: from, Until: until, Margin: in.Margin, MaxSpans: in.MaxSpans, Truncate: size <= minTraceWindow}
		var w contract.WindowOutput
		if err := workflow.ExecuteActivity(ctx, contract.ActivityAssembleTraceWindow, win).Get(ctx, &w); err != nil {
			return out, fmt.Errorf("assembling the traces of %s to %s: %w", from.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano), err)
		}
		if w.TooMany {
			grow = false
			size = max(size/2, minTraceWindow)
			logger.Info("window holds too many spans, splitting it", "from", from, "window", size)
			continue
		}
		mark.AssembledUntil = until
		if err := advance(ctx, mark); err != nil {
			return out, err
		}
		out.Windows++
		out.Traces += w.Traces
		out.AssembledUntil = until
		from = until
		size = nextSize(from, plan.Now, in.Window, grow)
	}
	if !from.Add(in.Window).After(plan.Now) {
		out.Behind = true
		logger.Info("trace assembly is behind, continuing as new", "assembled_until", from, "windows", out.Windows)
		return out, workflow.NewContinueAsNewError(ctx, contract.WorkflowAssembleTraces, in)
	}
	return out, nil
}

// nextSize is the window from `from`: catchUpWindows windows when that far
// behind and on a window boundary, else up to the next boundary.
func nextSize(from, now time.Time, window time.Duration, grow bool) time.Duration {
	size := alignedSize(from, window)
	if grow && size == window && now.Sub(from) >= catchUpWindows*window {
		return catchUpWindows * window
	}
	return size
}

// alignedSize is the window from `from`: up to the next multiple of the
// configured size, so that windows realign after a split.
func alignedSize(from time.Time, window time.Duration) time.Duration {
	return from.Truncate(window).Add(window).Sub(from)
}

func advance(ctx workflow.Context, mark contract.AdvanceInput) error {
	if err := workflow.ExecuteActivity(ctx, contract.ActivityAdvanceTraceMark, mark).Get(ctx, nil); err != nil {
		return fmt.Errorf("advancing the trace watermark to %s: %w", mark.AssembledUntil.Format(time.RFC3339Nano), err)
	}
	return nil
}
