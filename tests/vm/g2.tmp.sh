s=$EPOCHREALTIME; for i in $(seq 20); do /bin/true; done; echo "$(( (${EPOCHREALTIME/./} - ${s/./}) / 20000 )) ms/exec"
s=$EPOCHREALTIME; for i in $(seq 20); do (:); done; echo "$(( (${EPOCHREALTIME/./} - ${s/./}) / 20000 )) ms/fork"
