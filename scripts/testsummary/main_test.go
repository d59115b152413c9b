package main

import (
	"strings"
	"testing"
)

func TestSummariseCountsBackendsAndFailures(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestItems"}`,
		`{"Action":"output","Package":"p","Test":"TestItems/postgres","Output":"ok line\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestItems/postgres"}`,
		`{"Action":"pass","Package":"p","Test":"TestItems/sqlite"}`,
		`{"Action":"pass","Package":"p","Test":"TestImport/postgres/minio"}`,
		`{"Action":"pass","Package":"p","Test":"TestRedesign/postgres+minio"}`,
		`{"Action":"skip","Package":"p","Test":"TestBlob/minio"}`,
		`{"Action":"output","Package":"p","Test":"TestBroken","Output":"    x_test.go:9: boom\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestBroken"}`,
		`{"Action":"output","Package":"p","Test":"TestPages","Output":"=== RUN   TestPages\n"}`,
		`{"Action":"output","Package":"p","Test":"TestPages/seller","Output":"    pages_test.go:40: no variants after 60s\n"}`,
		`{"Action":"output","Package":"p","Test":"TestPages/seller","Output":"    --- FAIL: TestPages/seller (60.00s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestPages/seller"}`,
		`{"Action":"output","Package":"p","Test":"TestPages/consumer","Output":"    pages_test.go:20: passing line\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestPages/consumer"}`,
		`{"Action":"output","Package":"p","Test":"TestPages","Output":"--- FAIL: TestPages (61.00s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestPages"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}`,
		`{"Action":"fail","Package":"p"}`,
	}, "\n")
	var out strings.Builder
	ok, err := summarise(strings.NewReader(in), &out, []string{"postgres", "minio"})
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatal("a failing run was reported as passing")
	}
	s := out.String()
	for _, want := range []string{"boom", "no variants after 60s", "--- FAIL: TestPages/seller", "--- FAIL: TestPages (61.00s)", "FAIL\tp\t0.1s", "postgres     3 passed, 0 skipped", "minio        2 passed, 1 skipped", "backend minio is required"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "ok line") || strings.Contains(s, "passing line") {
		t.Errorf("output of a passing test was printed:\n%s", s)
	}
}

func TestSummarisePassingRun(t *testing.T) {
	in := `{"Action":"pass","Package":"p","Test":"TestA/postgres"}
{"Action":"pass","Package":"p","Test":"TestA/minio"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.2s\n"}
{"Action":"pass","Package":"p"}`
	var out strings.Builder
	ok, err := summarise(strings.NewReader(in), &out, []string{"postgres", "minio"})
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v\n%s", ok, err, out.String())
	}
	if !strings.Contains(out.String(), "ok  \tp\t0.2s") {
		t.Fatalf("package line missing:\n%s", out.String())
	}
}
