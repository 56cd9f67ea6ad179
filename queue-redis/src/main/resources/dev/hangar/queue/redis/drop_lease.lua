-- A = entry; drops a lease entry whose job no longer holds it
dropLease(A[1])
return {1}
