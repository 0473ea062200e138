# Reference values for the case-mix models (src/stats/linear.rs, src/stats/ordinal.rs):
# R's lm with sandwich::vcovHC(type = "HC3"), and ordinal::clm, on the data set in
# tests/data/reference/casemix/ (a synthetic export: `losstat simulate --scale 0.1 --seed 14`;
# visits.csv holds losstat's overall score per visit, ratings.csv every rating).
#
#   Rscript tools/reference/casemix_reference.R
#
# writes tests/data/reference/casemix/r_values.json. Made with R 4.2.2, ordinal 2022.11.16,
# sandwich 3.0.2, jsonlite (Debian: r-base-core r-cran-sandwich r-cran-ordinal r-cran-jsonlite).
#
# Factor levels are sorted in byte order (sort(method = "radix")), as losstat sorts them, so
# the treatment coding (first level = reference) is the same in both.

suppressPackageStartupMessages({
  library(ordinal)
  library(sandwich)
  library(jsonlite)
})

dir <- "tests/data/reference/casemix"
visits <- read.csv(file.path(dir, "visits.csv"), encoding = "UTF-8",
                   stringsAsFactors = FALSE, colClasses = c("character", "character", "character", "numeric"))
ratings <- read.csv(file.path(dir, "ratings.csv"), encoding = "UTF-8",
                    stringsAsFactors = FALSE, colClasses = c("character", "character", "integer"))
levels_of <- function(x) sort(unique(x), method = "radix")

visits$authority <- factor(visits$authority, levels = levels_of(visits$authority))
visits$offer_type <- factor(visits$offer_type, levels = levels_of(visits$offer_type))
linear <- lm(overall ~ authority + offer_type, data = visits)
hc3 <- vcovHC(linear, type = "HC3")

at <- match(ratings$visit_id, visits$visit_id)
ratings$authority <- visits$authority[at]
ratings$offer_type <- visits$offer_type[at]
ratings$indicator <- factor(ratings$indicator, levels = levels_of(ratings$indicator))
ratings$score <- factor(ratings$score, levels = 1:5, ordered = TRUE)
ordinal_fit <- clm(score ~ authority + offer_type + indicator, data = ratings,
                   control = clm.control(gradTol = 1e-10))

mix <- suppressWarnings(chisq.test(table(visits$authority, visits$offer_type), correct = FALSE))

rows <- function(m) lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))
out <- list(
  made_with = sprintf("R %s.%s, ordinal %s, sandwich %s", R.version$major, R.version$minor,
                      packageVersion("ordinal"), packageVersion("sandwich")),
  authority_levels = levels(visits$authority),
  offer_type_levels = levels(visits$offer_type),
  indicator_levels = levels(ratings$indicator),
  lm = list(
    call = "lm(overall ~ authority + offer_type); sandwich::vcovHC(fit, type = \"HC3\")",
    names = names(coef(linear)),
    coefficients = unname(coef(linear)),
    vcov_hc3 = rows(hc3)
  ),
  chisq = list(
    call = "chisq.test(table(authority, offer_type), correct = FALSE)",
    statistic = unname(mix$statistic),
    df = unname(mix$parameter),
    p_value = mix$p.value
  ),
  clm = list(
    call = "clm(score ~ authority + offer_type + indicator, control = clm.control(gradTol = 1e-10))",
    names = names(coef(ordinal_fit)),
    coefficients = unname(coef(ordinal_fit)),
    vcov = rows(vcov(ordinal_fit)),
    log_likelihood = as.numeric(logLik(ordinal_fit))
  )
)
write_json(out, file.path(dir, "r_values.json"), digits = I(17), auto_unbox = TRUE, pretty = TRUE)
cat("wrote", file.path(dir, "r_values.json"), "\n")
