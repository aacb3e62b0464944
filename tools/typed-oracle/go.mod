module injit-typed-oracle

go 1.23
