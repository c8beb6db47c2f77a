"""Call records (CTI): call events and CDRs by HTTP and CSV, linked to tickets; they feed 接通率 and the
15-second answer rate; a missed call creates a call-back task (漏接回拨)."""
