package recommender

import (
	"context"
	"math"
	"reflect"
	"testing"
)

func TestSegments(t *testing.T) {
	theta := [][]float32{{1, 0}, {3, 0}, {0, 2}, {0, 4}, {9, 9}}
	consumers := []Consumer{{"a", "sporty"}, {"b", "sporty"}, {"c", "classic"}, {"d", "classic"}, {"e", ""}}
	segs, err := SegmentsByLabel(consumers, theta)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 2 || segs[0].Name != "classic" || segs[1].Name != "sporty" {
		t.Fatalf("segments %+v, want classic and sporty", segs)
	}
	if !reflect.DeepEqual(segs[1].Members, []int{0, 1}) || !reflect.DeepEqual(segs[1].Theta, []float32{2, 0}) {
		t.Errorf("sporty %+v", segs[1])
	}
	// Preference is the mean of the members' preferences.
	f := []float32{0.5, -1}
	for _, s := range segs {
		mean := float32(0)
		for _, u := range s.Members {
			mean += dot(theta[u], f)
		}
		mean /= float32(len(s.Members))
		if got := s.Preference(f); math.Abs(float64(got-mean)) > 1e-6 {
			t.Errorf("%s: preference %v, mean of members %v", s.Name, got, mean)
		}
	}
	if _, err := SegmentsByLabel(consumers[:2], theta); err == nil {
		t.Error("θ count mismatch accepted")
	}

	km, err := SegmentsByKMeans(context.Background(), theta[:4], KMeansConfig{K: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(km) != 2 || len(km[0].Members)+len(km[1].Members) != 4 {
		t.Fatalf("k-means segments %+v", km)
	}
	for _, s := range km {
		if !reflect.DeepEqual(s.Members, []int{0, 1}) && !reflect.DeepEqual(s.Members, []int{2, 3}) {
			t.Errorf("segment %s members %v, want {0,1} or {2,3}", s.Name, s.Members)
		}
	}
	if got := MeanTheta(theta[:4]); !reflect.DeepEqual(got, []float32{1, 1.5}) {
		t.Errorf("mean θ %v", got)
	}
}
