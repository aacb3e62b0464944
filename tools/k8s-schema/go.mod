module injit/tools/k8s-schema

go 1.23
