module injit-istio-harness

go 1.19
