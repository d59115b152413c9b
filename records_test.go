package atelier

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAPIKeys(t *testing.T) {
	a, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewAPIKey()
	if a == b || !strings.HasPrefix(a, APIKeyPrefix) || len(a) != len(APIKeyPrefix)+43 {
		t.Fatalf("keys %q %q", a, b)
	}
	if CheckAPIKey(a) != nil {
		t.Fatalf("generated key %q fails CheckAPIKey", a)
	}
	if HashAPIKey(a) == HashAPIKey(b) || len(HashAPIKey(a)) != 64 || HashAPIKey(a) != HashAPIKey(a) {
		t.Fatal("hashes are not distinct, stable hex SHA-256")
	}
	// Known answer: SHA-256 of "abc".
	if got := HashAPIKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashAPIKey(abc) = %s", got)
	}
}

func TestScope(t *testing.T) {
	seller := Seller{ID: "s1"}
	admin := Seller{ID: "s2", Admin: true}
	for _, tc := range []struct {
		scope Scope
		owner string
		want  bool
	}{
		{seller.Scope(), "s1", true},
		{seller.Scope(), "", true},
		{seller.Scope(), "s3", false},
		{admin.Scope(), "s3", true},
		{AllScope(), "s3", true},
		{Scope{}, "", true},
		{Scope{}, "s1", false},
	} {
		if got := tc.scope.Allows(tc.owner); got != tc.want {
			t.Errorf("%+v.Allows(%q) = %v, want %v", tc.scope, tc.owner, got, tc.want)
		}
	}
}

func TestJobStatus(t *testing.T) {
	for _, s := range []JobStatus{JobQueued, JobRunning, JobSucceeded, JobFailed, JobCancelled} {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if want := s != JobQueued && s != JobRunning; s.Final() != want {
			t.Errorf("%s.Final() = %v", s, s.Final())
		}
	}
	if JobStatus("done").Valid() {
		t.Error("unknown status valid")
	}
}

func TestChoiceOthers(t *testing.T) {
	c := Choice{Shown: []string{"a", "b", "c"}, Chosen: "b"}
	if got := c.Others(); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("Others() = %v", got)
	}
}

func TestInteractionAndConsumerValidation(t *testing.T) {
	for name, err := range map[string]error{
		"no consumer":  Interaction{ItemID: "i", Kind: "take", At: fixedTime()}.Validate(),
		"no item":      Interaction{ConsumerID: "c", Kind: "take", At: fixedTime()}.Validate(),
		"no kind":      Interaction{ConsumerID: "c", ItemID: "i", At: fixedTime()}.Validate(),
		"long kind":    Interaction{ConsumerID: "c", ItemID: "i", Kind: strings.Repeat("k", 33), At: fixedTime()}.Validate(),
		"no time":      Interaction{ConsumerID: "c", ItemID: "i", Kind: "take"}.Validate(),
		"no ext id":    Consumer{}.Validate(),
		"bad segment":  Consumer{ExternalID: "c", Segment: "a\tb"}.Validate(),
		"invalid utf8": Consumer{ExternalID: "\xff"}.Validate(),
	} {
		if ErrorKind(err) != KindInvalid {
			t.Errorf("%s: %v, want KindInvalid", name, err)
		}
	}
	if err := (Interaction{ConsumerID: "c", ItemID: "i", Kind: "take", At: fixedTime()}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func fixedTime() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
