//! Typed access to the stage tables: the polars DataFrames of the kept visits and of the
//! roll-up that the analysis and the outputs read. (The kept ratings themselves are not a
//! DataFrame but three vectors of small numbers, [`crate::filter::Ratings`].)
//!
//! Each table's columns are declared once, as [`Col`] constants beside the type that holds
//! the table ([`crate::filter::visits`], [`crate::rollup::criteria`],
//! [`crate::rollup::themes`], [`crate::rollup::visits`]). Code
//! that builds a table names its columns through those constants, and code that reads one asks
//! a constant for its typed column, so a renamed column is a compile error in every reader
//! rather than an "internal" error at run time. A column of the wrong type is still found only
//! at run time ([`Col::of`] fails with [`crate::Error::Table`]), but its type is written in
//! one place.
//!
//! ```
//! # fn main() -> losstat::Result<()> {
//! use losstat::filter;
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("export.csv");
//! # std::fs::write(&path, "authority,visit_id,indicator,score\nNord,v1,1.a,4\n").unwrap();
//! # let loaded = losstat::load::load(&[path], &Default::default())?;
//! # let model = losstat::QualityModel::embedded()?;
//! # let options = filter::FilterOptions { los_visit_rules: false };
//! let filtered = filter::filter_with(&loaded, &model, &options)?;
//! let visit_ids = filter::visits::VISIT_ID.of(&filtered.visits)?;
//! assert_eq!(visit_ids.get(0), Some("v1"));
//! # Ok(()) }
//! ```

use std::marker::PhantomData;

use polars::prelude::{ChunkedArray, DataFrame, PolarsPhysicalType};

use crate::error::{Error, Result};

/// A column of a stage table: its name and its polars type.
pub struct Col<T> {
    name: &'static str,
    kind: PhantomData<fn() -> T>,
}

// Derived impls would require `T: Clone`; the marker types are not.
impl<T> Clone for Col<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Col<T> {}

impl<T> std::fmt::Debug for Col<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Col({})", self.name)
    }
}

impl<T: PolarsPhysicalType> Col<T> {
    /// The column called `name`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            kind: PhantomData,
        }
    }

    /// The column's name in the table (and in the CSV written from it).
    pub const fn name(self) -> &'static str {
        self.name
    }

    /// The column's values in `frame`.
    pub fn of(self, frame: &DataFrame) -> Result<&ChunkedArray<T>> {
        Ok(frame
            .column(self.name)?
            .as_materialized_series()
            .unpack::<T>()?)
    }

    /// The column's values in `frame` as one slice; an error if any is null (the stage
    /// tables have no nulls in their numeric columns).
    pub fn slice(self, frame: &DataFrame) -> Result<std::borrow::Cow<'_, [T::Native]>>
    where
        T: polars::prelude::PolarsNumericType,
    {
        let column = self.of(frame)?;
        if let Ok(slice) = column.cont_slice() {
            return Ok(std::borrow::Cow::Borrowed(slice));
        }
        if column.null_count() == 0 {
            return Ok(std::borrow::Cow::Owned(
                column.into_no_null_iter().collect(),
            ));
        }
        Err(Error::InvalidParameter {
            name: "stage table",
            value: format!("{} nulls in `{}`", column.null_count(), self.name),
            expected: "a stage table without nulls in its numeric columns",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, StringType, UInt32Type};

    #[test]
    fn a_column_is_read_by_name_and_type() {
        const VISIT: Col<UInt32Type> = Col::new("visit");
        const WRONG: Col<StringType> = Col::new("visit");
        let frame = DataFrame::new(2, vec![Column::new("visit".into(), [3u32, 4])]).unwrap();
        assert_eq!(VISIT.slice(&frame).unwrap().as_ref(), &[3, 4]);
        assert!(matches!(WRONG.of(&frame), Err(Error::Table(_))));
        assert!(matches!(
            Col::<UInt32Type>::new("gone").of(&frame),
            Err(Error::Table(_))
        ));
    }
}
