package atelier

// JobStatus is where a background job (a redesign or a report) stands.
// Jobs move queued → running → succeeded | failed | cancelled; a queued job
// may also be cancelled before it starts.
type JobStatus string

const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// Final reports whether the status can no longer change.
func (s JobStatus) Final() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// Valid reports whether s is one of the known statuses.
func (s JobStatus) Valid() bool {
	switch s {
	case JobQueued, JobRunning, JobSucceeded, JobFailed, JobCancelled:
		return true
	}
	return false
}

// Progress is how far a running job is: Step of Total within Stage.
type Progress struct {
	Stage string
	Step  int
	Total int
}
